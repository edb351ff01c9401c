pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run  = "make"
    when = "maybe" # ERROR: Incorrect Attribute Type
  }
}
