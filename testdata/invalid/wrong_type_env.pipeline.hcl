pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run = "make"
    env = "CGO_ENABLED=0" # ERROR: Incorrect Attribute Type
  }
}
