pipeline "p" {
  image = "alpine:3.20"
}

group "ops" {
  members         = ["carol@example.com"]
  allowed_signers = "carol@example.com ssh-ed25519 not-base64!" # ERROR: Invalid Allowed Signers
}
