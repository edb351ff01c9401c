pipeline "minimal" {
  image = "alpine:3.20"
}

build "app" {
  step "hello" {
    run = "echo hello"
  }
}
