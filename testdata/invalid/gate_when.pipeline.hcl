pipeline "p" {
  image = "alpine:3.20"
}

environment "production" {
  gate "typo" {
    when      = release.brnch == "main" # ERROR: Unsupported Attribute
    approvers = ["author"]
  }
  gate "not-bool" {
    when      = [release.version] # ERROR: Incorrect Attribute Type
    approvers = ["author"]
  }
  gate "output" {
    when      = step.rollout.outputs.ok == "yes" # ERROR: Step Output Not Allowed Here
    approvers = ["author"]
  }
  step "rollout" {
    run = "true"
  }
}
