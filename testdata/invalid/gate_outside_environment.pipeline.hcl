pipeline "p" {
  image = "alpine:3.20"
}

test "unit" {
  step "s" { run = "make" }
  gate "go" { # ERROR: Gate Outside Environment
    approvers = ["a"]
  }
}

gate "top" { # ERROR: Gate Outside Environment
  approvers = ["a"]
}
