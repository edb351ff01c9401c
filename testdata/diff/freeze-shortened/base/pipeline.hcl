# A freeze refuses deployments and rollbacks into its environments between
# from and to, unless an approver overrides it.
pipeline "frozen" {
  image = "alpine:3.20"
}

environment "beta" {
  step "rollout" {
    run = "echo beta"
  }
}

environment "production" {
  requires = [environment.beta]
  step "rollout" {
    run = "echo production"
  }
}

freeze "year-end" {
  environments = [environment.production]
  from         = "2026-12-20T00:00:00Z"
  to           = "2027-01-04T00:00:00+01:00"
  reason       = "year-end change freeze"
}
