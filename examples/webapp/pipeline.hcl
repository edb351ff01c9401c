# The webapp delivery process: every commit is built and tested, packaged as
# a static binary and a Docker image, and promoted internal -> beta ->
# production. Each environment runs the release's image as a container on its
# own local port; production waits for a person at the go-live gate.

pipeline "webapp" {
  description = "A small Go HTTP service, delivered to three local environments"
  version     = "1.0.${git.commit_count}"
  image       = "golang:1.26"
}

variable "build_runner" {
  type        = string
  default     = "local"
  description = "Where build and test steps run: \"local\" uses the host's Go toolchain (go on PATH); \"docker\" runs them in var.go_image."

  validation {
    condition     = contains(["local", "docker"], var.build_runner)
    error_message = "build_runner must be \"local\" (the host's go) or \"docker\" (var.go_image)."
  }
}

variable "go_image" {
  type        = string
  default     = "golang:1.26"
  description = "The image build and test steps use when build_runner is \"docker\"."
}

variable "app" {
  type        = string
  default     = "webapp"
  description = "Container name prefix: each environment runs one container named APP-ENVIRONMENT."
}

variable "internal_port" {
  type    = number
  default = 18081
}

variable "beta_port" {
  type    = number
  default = 18082
}

variable "production_port" {
  type    = number
  default = 18083
}

locals {
  binary = "dist/webapp"
}

# Build and test steps share the Go settings of this template; each step
# takes them with extends and adds its own.
template "go" {
  runner = var.build_runner
  image  = var.go_image
  env    = { CGO_ENABLED = "0" }
}

build "webapp" {
  step "compile" {
    extends = template.go
    run     = "go build -trimpath -ldflags '-s -w -X main.version=${release.version}' -o ${local.binary} ."
    env     = { GOOS = "linux" } # merged with the template's CGO_ENABLED
    timeout = "5m"
  }
}

test "unit" {
  # One step per Go tool: check[tool=test] and check[tool=vet], in parallel.
  step "check" {
    extends = template.go
    matrix  = { tool = ["test", "vet"] }
    run     = "go ${matrix.tool} ./..."
    timeout = "5m"
    retries = 1
  }
}

package "webapp" {
  artifact "binary" {
    path = local.binary
  }
  image "webapp" {
    context    = "."
    dockerfile = "Dockerfile"
  }
}

# Every environment deploys the same way; each one names itself and its port.
template "rollout" {
  runner  = "local"
  run     = "sh ./deploy.sh"
  timeout = "1m"
  env     = { APP = var.app, IMAGE = release.images.webapp, VERSION = release.version }
}

environment "internal" {
  step "rollout" {
    extends = template.rollout
    env     = { ENVIRONMENT = "internal", PORT = tostring(var.internal_port) }
  }
}

environment "beta" {
  requires = [environment.internal]

  step "rollout" {
    extends = template.rollout
    env     = { ENVIRONMENT = "beta", PORT = tostring(var.beta_port) }
  }
  step "smoke" {
    needs   = [step.rollout]
    runner  = "local"
    run     = "sh ./smoke.sh"
    env     = { URL = "http://127.0.0.1:${var.beta_port}", VERSION = release.version }
    timeout = "30s"
  }
}

group "release-managers" {
  members = ["carol@example.com", "dave@example.com"]
}

environment "production" {
  requires = [environment.beta]
  branches = ["main"]

  gate "go-live" {
    approvers             = ["author", "group:release-managers"]
    prevent_self_approval = false
    timeout               = "72h"
  }

  step "rollout" {
    extends = template.rollout
    env     = { ENVIRONMENT = "production", PORT = tostring(var.production_port) }
  }
}
