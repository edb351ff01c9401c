pipeline "p" {
  image = "alpine:3.20"
}

build "app" {
  step "s" {
    run    = "make"
    script = "make" # ERROR: Unsupported argument
  }
}
