pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "neg" {
    run     = "make"
    retries = -1 # ERROR: Invalid Retries
  }
  step "frac" {
    run     = "make"
    retries = 1.5 # ERROR: Invalid Retries
  }
}
