pipeline "p" {
  image = "app:${release.version}" # ERROR: Run-Time Value Not Allowed Here
}

build "a" {
  step "s" {
    run    = "make"
    runner = "local"
  }
}
