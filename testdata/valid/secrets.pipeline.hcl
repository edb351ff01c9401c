pipeline "secrets" {
  image = "alpine:3.20"
}

secret "deploy_token" {
  env          = "DEPLOY_TOKEN"
  environments = [environment.production]
}

secret "registry-password" {
  env = "REGISTRY_PASSWORD"
}

environment "production" {
  step "rollout" {
    run     = "./deploy.sh"
    secrets = [secret.deploy_token, secret.registry-password]
  }
}
