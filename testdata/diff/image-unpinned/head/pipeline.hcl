pipeline "shop" {
  description = "Online shop backend"
  image       = "golang:1.26@sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

secret "deploy_token" {
  env = "DEPLOY_TOKEN"
}

secret "db_admin_password" {
  env = "DB_ADMIN_PASSWORD"
}

group "release-managers" {
  members = ["carol@example.com", "dave@example.com"]
}

group "contractors" {
  members = ["xavier@example.com", "yara@example.com"]
}

build "shop" {
  step "compile" {
    run = "go build -trimpath -o dist/shop ./cmd/shop"
    env = { CGO_ENABLED = "0" }
  }
}

test "unit" {
  step "go-test" {
    run     = "go test ./..."
    timeout = "15m"
    retries = 1
  }
}

package "shop" {
  artifact "binary" {
    path = "dist/shop"
  }
}

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
    image   = "golang:latest"
    run     = "./smoke.sh https://shop.example.com"
    env     = { SMOKE_USER = "smoke-bot" }
    retries = 1
  }
}

notify "chat" {
  webhook = env("CHAT_WEBHOOK")
  on      = ["gate_waiting", "deploy_failed"]
}
