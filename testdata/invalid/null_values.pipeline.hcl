pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    command = ["make", null] # ERROR: Null Value
  }
  step "t" {
    run = null # ERROR: Null Value
  }
}
