pipeline "p" {
  image = "alpine:3.20"
}

test "unit" {
  step "exclude-key" {
    matrix = {
      go      = ["1.25", "1.26"]
      exclude = [{ goo = "1.25" }] # ERROR: Unknown Matrix Key
    }
    run = "true"
  }
  step "exclude-nothing" {
    matrix = {
      go      = ["1.25", "1.26"]
      exclude = [{ go = "1.27" }] # ERROR: Matrix Exclude Matches Nothing
    }
    run = "true"
  }
  step "exclude-all" {
    matrix = { # ERROR: Empty Matrix
      go      = ["1.25"]
      exclude = [{ go = "1.25" }]
    }
    run = "true"
  }
  step "include-partial" {
    matrix = {
      go      = ["1.25"]
      arch    = ["amd64"]
      include = [{ go = "1.26" }] # ERROR: Incomplete Matrix Include
    }
    run = "true"
  }
  step "include-dup" {
    matrix = {
      go      = ["1.25"]
      include = [{ go = "1.25" }] # ERROR: Duplicate Matrix Combination
    }
    run = "true"
  }
  step "needs-missing" {
    needs = [step.go-tset] # ERROR: Reference to Undeclared Step
    run   = "true"
  }
}
