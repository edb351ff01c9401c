pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "echo ${foo.bar}" } # ERROR: Reference to Unknown Namespace
}
