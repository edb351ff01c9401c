pipeline "p" {
  image = "alpine:3.20"
}

step "orphan" { # ERROR: Step Outside Stage
  run = "make"
}
