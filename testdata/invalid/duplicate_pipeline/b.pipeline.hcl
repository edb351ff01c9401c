pipeline "webapp" { # ERROR: Duplicate Pipeline Block
  image = "alpine:3.21"
}

build "a" { # ERROR: Duplicate Stage Name
  step "s" { run = "make" }
}
