environment "prod" {
  gate "ok" {
    approvers = ["ops@example.com"]
  }
  step "ship" { run = "ship ${local.target}" }
}
