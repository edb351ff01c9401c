environment "internal" {
  step "rollout" {
    image   = "alpine:3.20@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    run     = "./deploy.sh internal ${release.version}"
    secrets = [secret.deploy_token]
  }
}

environment "beta" {
  requires = [environment.internal]
  step "rollout" {
    run = "./deploy.sh beta ${release.version}"
  }
}

environment "production" {
  requires = [environment.beta]
  branches = ["main"]

  gate "go-live" {
    approvers             = ["group:release-managers"]
    prevent_self_approval = true
    timeout               = "72h"
    wait                  = "30m"
  }

  gate "security" {
    approvers = ["frank@example.com"]
  }

  step "rollout" {
    run = "./deploy.sh production ${release.version}"
  }
}
