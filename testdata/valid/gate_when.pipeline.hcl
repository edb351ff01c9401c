# A gate may apply conditionally: when its when is false for a release, the
# gate is recorded as not required and the deployment goes on.
pipeline "gates" {
  image = "alpine:3.20"
}

variable "strict" {
  type    = bool
  default = true
}

package "app" {
  step "bundle" {
    run = "tar czf app.tgz ."
  }
}

environment "production" {
  gate "go-live" {
    when      = release.branch == "main" && var.strict
    approvers = ["author"]
  }
  gate "hotfix-review" {
    when      = startswith(git.branch, "hotfix/")
    approvers = ["author"]
  }
  step "rollout" {
    run = "echo deploying ${release.version}"
  }
}
