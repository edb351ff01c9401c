build "app" {
  step "compile" { run = "make ${local.target}" }
}
