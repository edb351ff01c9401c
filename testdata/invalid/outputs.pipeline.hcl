pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "one" {
    run = "echo x=1 >> $PIPELINE_OUTPUT"
  }
  step "sibling" {
    run = "echo ${step.one.outputs.x}" # ERROR: Output of a Step That Is Not a Dependency
  }
  step "self" {
    run = "echo ${step.self.outputs.x}" # ERROR: Output Read Before It Is Written
  }
  step "typo" {
    needs = [step.one]
    run   = "echo ${step.onw.outputs.x}" # ERROR: Reference to Undeclared Step
  }
  step "m" {
    matrix = { v = ["1", "2"] }
    run    = "true"
  }
  step "matrix" {
    needs = [step.m]
    run   = "echo ${step.m.outputs.x}" # ERROR: Ambiguous Matrix Output
  }
  step "one-combo" {
    needs = [step.m]
    run   = "echo ${step["m[v=1]"].outputs.x}"
  }
}

build "b" {
  step "other" {
    run = "echo ${build.a.step.one.outputs.x}" # ERROR: Output of a Step That Is Not a Dependency
  }
}

test "t" {
  step "later" {
    timeout = build.a.step.one.outputs.x # ERROR: Run-Time Value Not Allowed Here
    run     = "echo ${test.nope.step.x.outputs.y}" # ERROR: Reference to Undeclared Stage
  }
}

package "p" {
  step "bundle" {
    run = "true"
  }
}

environment "e" {
  step "typo" {
    run = "echo ${release.outputs.bundel.x}" # ERROR: Reference to Undeclared Step
  }
  step "short" {
    run = "echo ${release.outputs.bundle}" # ERROR: Invalid Output Reference
  }
}
