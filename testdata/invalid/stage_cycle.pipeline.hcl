pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  needs = [test.b] # ERROR: Dependency Cycle Between Stages
  step "s" { run = "make" }
}

test "b" {
  step "s" { run = "make test" }
}
