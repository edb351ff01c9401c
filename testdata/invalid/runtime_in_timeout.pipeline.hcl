pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run     = "make"
    timeout = run.id # ERROR: Run-Time Value Not Allowed Here
  }
}
