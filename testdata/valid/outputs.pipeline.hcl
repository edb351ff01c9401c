# Steps read the outputs of the steps they depend on.
pipeline "outputs" {
  image = "alpine:3.20"
}

build "webapp" {
  step "compile" {
    run = "echo sha=abc >> \"$PIPELINE_OUTPUT\""
  }
  step "describe" {
    needs = [step.compile]
    run   = "echo built ${step.compile.outputs.sha}"
    env   = { SHA = step.compile.outputs.sha }
    when  = step.compile.outputs.sha != ""
  }
}

test "unit" {
  step "report" {
    run = "echo ${build.webapp.step.compile.outputs.sha}"
  }
}

environment "beta" {
  step "rollout" {
    run = "deploy ${build.webapp.step.describe.outputs.sha}"
  }
}

package "app" {
  step "bundle" {
    run = "echo digest=sha256:abc >> \"$PIPELINE_OUTPUT\""
  }
}

environment "production" {
  step "rollout" {
    run = "deploy ${release.outputs.bundle.digest}"
  }
}
