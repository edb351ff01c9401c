pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  needs = [build.c] # ERROR: Dependency Cycle Between Stages
  step "s" { run = "make" }
}

build "b" {
  needs = [build.a]
  step "s" { run = "make" }
}

build "c" {
  needs = [build.b]
  step "s" { run = "make" }
}

build "self" {
  needs = [build.self] # ERROR: Dependency Cycle Between Stages
  step "s" { run = "make" }
}
