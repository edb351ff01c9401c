pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run    = "make"
    mounts = ["./cache", "./ok:/cache", "x:relative"] # ERROR: Invalid Mount | Invalid Mount
  }
}
