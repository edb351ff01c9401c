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

notify "chat" {
  webhook = env("CHAT_WEBHOOK")
  on      = ["gate_waiting", "deploy_failed"]
}
