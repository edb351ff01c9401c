pipeline "api" {
  description = "Internal API"
  image       = "golang:1.25@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
}

variable "go_flags" {
  type    = string
  default = "-trimpath"
}

locals {
  tag = "api:${git.short_sha}"
}

build "api" {
  step "compile" {
    run = "go build ${var.go_flags} ./..."
    env = { CGO_ENABLED = "0", GOOS = "linux" }
  }
  step "image" {
    needs   = [step.compile]
    command = ["docker", "build", "-t", local.tag, "."]
  }
}

test "unit" {
  step "go-test" {
    run     = "go test ./..."
    timeout = "10m"
    retries = 1
  }
  step "vet" {
    run = "go vet ./..."
  }
}

test "e2e" {
  step "e2e" {
    run = <<-EOT
      ./e2e/setup.sh
      ./e2e/run.sh --fast
    EOT
  }
}

package "api" {
  artifact "binary" {
    path = "dist/api"
  }
}

environment "staging" {
  step "rollout" {
    run = "./deploy.sh staging ${release.version}"
  }
}

environment "production" {
  branches = ["main"]
  gate "go-live" {
    approvers = ["carol@example.com"]
    timeout   = "24h"
  }
  step "rollout" {
    run = "./deploy.sh production ${release.version}"
  }
}

notify "chat" {
  webhook = env("CHAT_WEBHOOK")
  on      = ["deploy_failed"]
}
