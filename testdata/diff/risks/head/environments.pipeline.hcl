environment "internal" {
  step "rollout" {
    image   = "alpine:latest"
    run     = "./deploy.sh internal ${release.version}"
    secrets = [secret.deploy_token]
  }
}

environment "beta" {
  requires = [environment.internal]
  step "rollout" {
    run     = "./deploy.sh beta ${release.version}"
    secrets = [secret.prod_token]
  }
  step "debug" {
    image      = "busybox"
    run        = "sleep 3600"
    privileged = true
    mounts     = ["/var/run/docker.sock:/var/run/docker.sock"]
  }
}

environment "production" {
  branches = ["main", "release/*"]

  gate "go-live" {
    approvers             = ["group:release-managers", "author", "group:sre", "mallory@example.com"]
    prevent_self_approval = false
    timeout               = "1h"
    wait                  = "5m"
  }

  step "rollout" {
    run = "./deploy.sh production ${release.version}"
  }
}
