environment "staging" {
  step "rollout" {
    run     = "./deploy.sh staging ${var.region} ${release.version}"
    secrets = [secret.deploy_token]
  }
}

environment "beta" {
  requires = [environment.staging]
  step "rollout" {
    run     = "./deploy.sh beta ${var.region} ${release.version}"
    secrets = [secret.deploy_token]
  }
}

environment "production" {
  requires = [environment.beta]
  branches = ["main"]

  gate "go-live" {
    approvers             = ["group:release-managers"]
    prevent_self_approval = true
    timeout               = "48h"
  }

  gate "change-board" {
    approvers = ["frank@example.com"]
  }

  step "migrate" {
    image   = "migrate/migrate:v4.17.1@sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
    command = ["migrate", "-path", "db/migrations", "-database", "postgres://shop@db.internal/shop", "up"]
    secrets = [secret.db_admin_password]
  }

  step "rollout" {
    needs   = [step.migrate]
    run     = "./deploy.sh production ${var.region} ${release.version}"
    secrets = [secret.deploy_token]
    timeout = "20m"
  }

  step "smoke" {
    needs   = [step.rollout]
    run     = "./smoke.sh https://shop.example.com"
    env     = { SMOKE_USER = "smoke-bot" }
    retries = 1
  }
}
