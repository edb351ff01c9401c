pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = file("missing.sh") } # ERROR: Invalid function argument
}
