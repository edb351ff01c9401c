build "app" {
  step "make" { run = "make" }
}
