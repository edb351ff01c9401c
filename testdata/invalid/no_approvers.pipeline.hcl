pipeline "p" {
  image = "alpine:3.20"
}

environment "prod" {
  gate "go" {
    approvers = [] # ERROR: No Gate Approvers
  }
}
