pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run     = "make"
    command = ["make"] # ERROR: Conflicting Step Command
  }
}
