pipeline "webapp" {
  description = "Public web front end"
  version     = "1.4.${git.commit_count}"   # release version; default: git describe
  image       = "golang:1.26"               # default image for steps
}

variable "go_flags" {
  type    = string
  default = "-trimpath"
}

locals {
  binary = "dist/webapp"
}

secret "deploy_token" {
  env = "DEPLOY_TOKEN"          # read from the runner's environment, never stored, masked in logs
}

build "webapp" {
  step "compile" {
    run = "go build ${var.go_flags} -o ${local.binary} ./cmd/webapp"
    env = { CGO_ENABLED = "0" }
  }
}

test "unit" {                   # implicit order: build -> test -> package -> environments
  step "go-test" {
    run     = "go test ./..."
    timeout = "10m"
    retries = 1
  }
  step "vet" {
    run = "go vet ./..."
  }
}

package "webapp" {
  artifact "binary" {
    path = local.binary         # copied into the content-addressed artifact store
  }
  image "webapp" {              # built through the Docker Engine API, recorded by digest
    context    = "."
    dockerfile = "Dockerfile"
  }
}

environment "internal" {
  step "rollout" {
    image   = "alpine:3.20"
    run     = "./deploy.sh internal ${release.version} ${release.images.webapp}"
    secrets = [secret.deploy_token]
  }
}

environment "beta" {
  requires = [environment.internal]   # promotion rule: a release reaches beta only after internal succeeded
  step "rollout" { run = "./deploy.sh beta ${release.version}" }
  step "smoke" {
    needs = [step.rollout]
    run   = "./smoke.sh https://beta.example.com"
  }
}

group "release-managers" {
  members = ["carol@example.com", "dave@example.com"]
}

environment "production" {
  requires = [environment.beta]
  branches = ["main"]                 # only releases built from main may deploy here

  gate "go-live" {
    approvers             = ["author", "group:release-managers"]   # "author": the commit author may push the button
    prevent_self_approval = false
    timeout               = "72h"     # a gate left waiting this long expires
    wait                  = "10m"     # optional bake time: once approved, hold this long before deploying
  }

  step "rollout" { run = "./deploy.sh production ${release.version}" }
}

notify "chat" {
  webhook = env("CHAT_WEBHOOK")       # Slack-compatible JSON
  on      = ["gate_waiting", "deploy_failed", "deploy_succeeded", "rollback"]
}
