pipeline "p" {
  image = "alpine:3.20"
}

group "release-managers" { members = ["carol"] }

environment "prod" {
  gate "go" {
    approvers = ["author", "group:release-manager"] # ERROR: Reference to Undeclared Group
  }
}
