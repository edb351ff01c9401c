pipeline "hello" {
  image = "alpine:3.20"
}

build "app" {
  step "compile" {
    run = "echo hello"
  }
}
