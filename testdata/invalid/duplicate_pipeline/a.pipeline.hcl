pipeline "webapp" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "make" }
}
