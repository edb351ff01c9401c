pipeline "p" {
  image = "alpine:3.20"
}

test "unit" {
  step "compile" { run = "make" }
  step "test" {
    needs = [step.compil] # ERROR: Reference to Undeclared Step
    run   = "make test"
  }
}
