pipeline "p" {
  image = "alpine:3.20"
}

build "b" {
  step "s" {
    run   = "true"
    image = "" # ERROR: Empty Step Image
  }
}
