pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run  = "make"
    pull = "sometimes" # ERROR: Invalid Pull
  }
}
