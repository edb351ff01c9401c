pipeline "p" {
  image = "alpine:3.20"
}

group "ops" {
  members = ["carol@example.com"]
}

environment "prod" {
  gate "go" {
    approvers = ["group:ops", "dave@example.com"]
    signed    = true # ERROR: Signed Gate Without Signers
  }
}
