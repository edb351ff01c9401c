pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    command = "make test" # ERROR: Incorrect Attribute Type
  }
}
