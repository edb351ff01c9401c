pipeline "p" {
  image = "alpine:3.20"
}

test "unit" {
  step "a" {
    run = "true"
  }
  step "negated" {
    needs = [step.a]
    when  = !failure() # ERROR: Status Function Not Allowed Here
    run   = "true"
  }
  step "or" {
    needs = [step.a]
    when  = always() || git.branch == "main" # ERROR: Status Function Not Allowed Here
    run   = "true"
  }
  step "both" {
    needs = [step.a]
    when  = always() && failure() # ERROR: Conflicting Status Functions
    run   = "true"
  }
  step "in-run" {
    run = "echo ${always()}" # ERROR: Call to unknown function
  }
}
