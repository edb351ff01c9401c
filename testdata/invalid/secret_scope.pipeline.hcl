pipeline "p" {
  image = "alpine:3.20"
}

secret "prod_token" {
  env          = "PROD_TOKEN"
  environments = [environment.production]
}

secret "typo" {
  env          = "TYPO_TOKEN"
  environments = [environment.prodution] # ERROR: Reference to Undeclared Environment
}

secret "stage" {
  env          = "STAGE_TOKEN"
  environments = [test.unit] # ERROR: Invalid Reference
}

secret "quoted" {
  env          = "QUOTED_TOKEN"
  environments = "production" # ERROR: Invalid Reference List
}

secret "nobody" {
  env          = "NOBODY_TOKEN"
  environments = [] # ERROR: Empty Secret Scope
}

test "unit" {
  step "leak" {
    run     = "echo $PROD_TOKEN | rev"
    secrets = [secret.prod_token] # ERROR: Secret Outside Its Scope
  }
}

environment "production" {
  step "rollout" {
    run     = "./deploy.sh"
    secrets = [secret.prod_token]
  }
}
