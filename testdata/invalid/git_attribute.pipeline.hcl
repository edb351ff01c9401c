pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "echo ${git.commit}" } # ERROR: Unsupported Attribute
}
