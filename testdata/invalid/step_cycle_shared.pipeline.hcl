pipeline "p" {
  image = "alpine:3.20"
}

test "unit" {
  step "a" {
    needs = [step.b] # ERROR: Dependency Cycle Between Steps
    run   = "a"
  }
  step "b" {
    needs = [step.a, step.c]
    run   = "b"
  }
  step "c" {
    needs = [step.b]
    run   = "c"
  }
}
