pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { # ERROR: Missing Step Command
    image = "alpine"
  }
}
