pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run    = "make"
    runner = "locl" # ERROR: Invalid Runner
  }
}
