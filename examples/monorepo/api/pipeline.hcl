# The api component: a static JSON API served by busybox httpd. Its build and
# test steps run in containers of the local test image; its rollout runs on
# the host, where the docker CLI starts the release's image.

pipeline "api" {
  description = "The api component of the monorepo example"
  version     = "0.1.${git.commit_count}"
  image       = "pipeline-test/busybox:latest"
}

variable "app" {
  type        = string
  default     = "monorepo"
  description = "Container name prefix: containers are named APP-api-ENVIRONMENT."
}

variable "staging_port" {
  type    = number
  default = 18091
}

variable "production_port" {
  type    = number
  default = 18092
}

build "site" {
  step "render" {
    run = "sh build.sh"
    env = { VERSION = release.version }
  }
}

test "unit" {
  step "build-test" {
    run = "sh build_test.sh"
  }
}

package "api" {
  image "api" {
    context = "."
  }
}

environment "staging" {
  step "rollout" {
    runner = "local"
    run    = "sh ./deploy.sh"
    env = {
      APP         = var.app
      ENVIRONMENT = "staging"
      PORT        = tostring(var.staging_port)
      IMAGE       = release.images.api
      VERSION     = release.version
    }
    timeout = "1m"
  }
}

environment "production" {
  requires = [environment.staging]
  branches = ["main"]

  gate "release" {
    approvers = ["author"]
  }

  step "rollout" {
    runner = "local"
    run    = "sh ./deploy.sh"
    env = {
      APP         = var.app
      ENVIRONMENT = "production"
      PORT        = tostring(var.production_port)
      IMAGE       = release.images.api
      VERSION     = release.version
    }
    timeout = "1m"
  }
}
