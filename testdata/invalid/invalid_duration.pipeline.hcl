pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run     = "make"
    timeout = "10 minutes" # ERROR: Invalid Duration
  }
}

environment "prod" {
  gate "go" {
    approvers = ["a"]
    timeout   = "-1h" # ERROR: Invalid Duration
    wait      = "0s"
  }
}
