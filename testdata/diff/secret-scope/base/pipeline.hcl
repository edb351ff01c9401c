pipeline "shop" {
  image = "busybox:1.36"
}

secret "prod_token" {
  env          = "PROD_TOKEN"
  environments = [environment.production]
}

secret "beta_token" {
  env          = "BETA_TOKEN"
  environments = [environment.beta]
}

test "unit" {
  step "check" {
    run = "make test"
  }
}

environment "beta" {
  step "rollout" {
    run     = "./deploy.sh beta"
    secrets = [secret.beta_token]
  }
}

environment "production" {
  requires = [environment.beta]
  gate "go-live" {
    approvers = ["carol@example.com"]
  }
  step "rollout" {
    run     = "./deploy.sh production"
    secrets = [secret.prod_token]
  }
}
