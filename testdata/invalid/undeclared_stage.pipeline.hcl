pipeline "p" {
  image = "alpine:3.20"
}

build "webapp" {
  step "s" { run = "make" }
}

test "unit" {
  needs = [build.webap] # ERROR: Reference to Undeclared Stage
  step "s" { run = "make" }
}
