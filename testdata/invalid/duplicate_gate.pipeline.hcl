pipeline "p" {
  image = "alpine:3.20"
}

environment "prod" {
  gate "go" { approvers = ["a"] }
  gate "go" { approvers = ["b"] } # ERROR: Duplicate Gate Name
}
