pipeline "p" {
  image = "alpine:3.20"
}

test "unit" {
  step "empty" {
    matrix = { go = [] } # ERROR: Empty Matrix
    run    = "true"
  }
  step "bad-value" {
    matrix = { go = ["1.26", "a b"] } # ERROR: Invalid Matrix Value
    run    = "true"
  }
  step "dup-value" {
    matrix = { go = ["1.26", "1.26"] } # ERROR: Duplicate Matrix Value
    run    = "true"
  }
  step "not-object" {
    matrix = ["1.26"] # ERROR: Invalid Matrix
    run    = "true"
  }
  step "unknown-key" {
    matrix = { go = ["1.26"] }
    run    = "echo ${matrix.goo}" # ERROR: Unsupported Attribute
  }
  step "outside" {
    run = "echo ${matrix.go}" # ERROR: Matrix Value Outside Matrix Step
  }
}
