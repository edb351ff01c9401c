pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "one" { run = "make" }
  step "two" { run = "echo ${step.one}" } # ERROR: Invalid Output Reference
}
