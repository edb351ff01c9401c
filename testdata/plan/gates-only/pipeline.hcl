# An environment made only of gates: both must be approved.
pipeline "gated" {
  image = "alpine:3.20"
}

group "sre" {
  members = ["erin@example.com", "frank@example.com"]
}

build "b" {
  step "make" { run = "make" }
}

package "p" {
  step "pack" { run = "make pack" }
}

environment "production" {
  branches = ["main", "release/*"]
  gate "security" {
    approvers             = ["group:sre"]
    prevent_self_approval = true
  }
  gate "product" {
    approvers = ["author", "pat@example.com"]
    timeout   = "24h"
    wait      = "1h30m"
  }
}
