pipeline "api" {
  description = "Internal API service"
  image       = "golang:1.26@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
}

variable "go_flags" {
  type    = string
  default = "-trimpath -race"
}

locals {
  tag = "api:${git.short_sha}"
}

build "api" {
  step "compile" {
    run = "go build ${var.go_flags} ./..."
    env = { CGO_ENABLED = "0", GOARCH = "amd64" }
  }
  step "image" {
    needs   = [step.compile]
    command = ["docker", "build", "--pull", "-t", local.tag, "."]
  }
}

test "unit" {
  needs     = [build.api]
  container = "shared"
  step "go-test" {
    run     = "go test -count=1 ./..."
    timeout = "20m"
    retries = 2
  }
}

test "e2e" {
  step "e2e" {
    run = <<-EOT
      ./e2e/setup.sh
      ./e2e/run.sh --full
    EOT
  }
}

package "api" {
  artifact "binary" {
    path = "dist/api-linux-amd64"
  }
}

environment "staging" {
  step "rollout" {
    run = "./deploy.sh staging ${release.version}"
  }
}

environment "canary" {
  requires = [environment.staging]
  step "rollout" {
    run = "./deploy.sh canary ${release.version}"
  }
}

environment "production" {
  requires = [environment.canary]
  branches = ["main"]
  gate "go-live" {
    approvers             = ["carol@example.com"]
    prevent_self_approval = true
    timeout               = "48h"
    wait                  = "15m"
  }
  step "rollout" {
    run = "./deploy.sh production ${release.version}"
  }
}

notify "chat" {
  webhook = env("CHAT_WEBHOOK")
  on      = ["deploy_failed", "gate_waiting"]
}
