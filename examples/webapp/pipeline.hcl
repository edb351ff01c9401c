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

build "webapp" {
  step "compile" {
    runner = var.build_runner
    image  = var.go_image
    run    = "go build -trimpath -ldflags '-s -w -X main.version=${release.version}' -o ${local.binary} ."
    env = {
      CGO_ENABLED = "0"
      GOOS        = "linux"
    }
    timeout = "5m"
  }
}

test "unit" {
  step "go-test" {
    runner  = var.build_runner
    image   = var.go_image
    run     = "go test ./..."
    env     = { CGO_ENABLED = "0" }
    timeout = "5m"
    retries = 1
  }
  step "vet" {
    runner = var.build_runner
    image  = var.go_image
    run    = "go vet ./..."
    env    = { CGO_ENABLED = "0" }
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

environment "internal" {
  step "rollout" {
    runner = "local"
    run    = "sh ./deploy.sh"
    env = {
      APP         = var.app
      ENVIRONMENT = "internal"
      PORT        = tostring(var.internal_port)
      IMAGE       = release.images.webapp
      VERSION     = release.version
    }
    timeout = "1m"
  }
}

environment "beta" {
  requires = [environment.internal]

  step "rollout" {
    runner = "local"
    run    = "sh ./deploy.sh"
    env = {
      APP         = var.app
      ENVIRONMENT = "beta"
      PORT        = tostring(var.beta_port)
      IMAGE       = release.images.webapp
      VERSION     = release.version
    }
    timeout = "1m"
  }
  step "smoke" {
    needs  = [step.rollout]
    runner = "local"
    run    = "sh ./smoke.sh"
    env = {
      URL     = "http://127.0.0.1:${var.beta_port}"
      VERSION = release.version
    }
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
    runner = "local"
    run    = "sh ./deploy.sh"
    env = {
      APP         = var.app
      ENVIRONMENT = "production"
      PORT        = tostring(var.production_port)
      IMAGE       = release.images.webapp
      VERSION     = release.version
    }
    timeout = "1m"
  }
}
