pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run = "make"
    env = {
      "1BAD" = "x" # ERROR: Invalid Environment Variable Name
    }
  }
}
