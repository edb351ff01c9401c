pipeline "webapp" {
  description = "Public web front end"
  version     = "1.4.${git.commit_count}"
  image       = "golang:1.26@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
}

variable "go_flags" {
  type    = string
  default = "-trimpath"
}

locals {
  binary = "dist/webapp"
}

secret "deploy_token" {
  env = "DEPLOY_TOKEN"
}

secret "prod_token" {
  env = "PROD_TOKEN"
}

group "release-managers" {
  members = ["carol@example.com", "dave@example.com"]
}

group "sre" {
  members = ["erin@example.com"]
}

notify "chat" {
  webhook = env("CHAT_WEBHOOK")
  on      = ["gate_waiting", "deploy_failed"]
}
