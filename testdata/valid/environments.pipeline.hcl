pipeline "environments" {
  image = "alpine:3.20"
}

group "sre" {
  members = ["erin@example.com", "frank"]
}

environment "dev" {
  step "deploy" { run = "./deploy.sh dev" }
}

environment "staging" {
  requires = [environment.dev]
  branches = ["main", "release/*"]
  step "deploy" { run = "./deploy.sh staging" }
}

environment "production" {
  requires = [environment.staging, environment.dev]
  branches = ["main"]

  gate "approval" {
    approvers             = ["author", "group:sre", "alice@example.com"]
    prevent_self_approval = true
    timeout               = "24h"
  }

  gate "change-board" {
    approvers = ["group:sre"]
    wait      = "30m"
  }

  step "deploy" { run = "./deploy.sh production" }
}

environment "audit" {
  gate "sign-off" {
    approvers = ["auditor@example.com"]
  }
}
