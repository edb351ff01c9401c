pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run = "make"
    env = {
      GOOS = "linux"
      GOOS = "darwin" # ERROR: Duplicate Environment Variable
    }
  }
}
