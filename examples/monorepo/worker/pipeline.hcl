# The worker component: a background process without a port. It shares the
# repository (and the state store at its root) with the api component but is
# built, released and deployed on its own.

pipeline "worker" {
  description = "The worker component of the monorepo example"
  version     = "0.3.${git.commit_count}"
  image       = "pipeline-test/busybox:latest"
}

variable "app" {
  type        = string
  default     = "monorepo"
  description = "Container name prefix: containers are named APP-worker-ENVIRONMENT."
}

build "worker" {
  step "check" {
    run = "sh -n worker.sh"
  }
  step "stamp" {
    run = "mkdir -p dist && printf '%s\\n' \"$VERSION\" > dist/version"
    env = { VERSION = release.version }
  }
}

package "worker" {
  artifact "version" {
    path = "dist/version"
  }
  image "worker" {
    context = "."
  }
}

# Both environments deploy the same way; each names itself.
template "rollout" {
  runner  = "local"
  run     = "sh ./deploy.sh"
  timeout = "1m"
  env     = { APP = var.app, IMAGE = release.images.worker, VERSION = release.version }
}

environment "staging" {
  step "rollout" {
    extends = template.rollout
    env     = { ENVIRONMENT = "staging" }
  }
}

environment "production" {
  requires = [environment.staging]
  branches = ["main"]

  gate "release" {
    approvers = ["author"]
  }

  step "rollout" {
    extends = template.rollout
    env     = { ENVIRONMENT = "production" }
  }
}
