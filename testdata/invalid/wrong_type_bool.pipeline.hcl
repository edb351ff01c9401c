pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run        = "make"
    privileged = "yes" # ERROR: Incorrect Attribute Type
  }
}
