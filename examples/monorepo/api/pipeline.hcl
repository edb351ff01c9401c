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
  # Runs once build-test has finished, also when it failed: prints the
  # checks it wrote and removes the report.
  step "report" {
    needs = [step.build-test]
    when  = always()
    run   = "echo 'test report:'; cat dist/test-report.txt 2>/dev/null || echo '(no report written)'; rm -f dist/test-report.txt"
  }
}

package "api" {
  image "api" {
    context = "."
  }
}

# Both environments deploy the same way; each names itself and its port.
template "rollout" {
  runner  = "local"
  run     = "sh ./deploy.sh"
  timeout = "1m"
  env     = { APP = var.app, IMAGE = release.images.api, VERSION = release.version }
}

environment "staging" {
  step "rollout" {
    extends = template.rollout
    env     = { ENVIRONMENT = "staging", PORT = tostring(var.staging_port) }
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
    env     = { ENVIRONMENT = "production", PORT = tostring(var.production_port) }
  }
}
