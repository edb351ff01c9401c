pipeline "p" {
  image = "alpine:3.20"
}

secret "deploy_token" { env = "DEPLOY_TOKEN" }

environment "prod" {
  step "s" {
    run     = "deploy"
    secrets = [secret.deploy_tokn] # ERROR: Reference to Undeclared Secret
  }
}
