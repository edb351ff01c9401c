pipeline "p" {
  image = "alpine:3.20"
}

environment "beta" {
  step "s" { run = "deploy" }
}

environment "prod" {
  requires = [environment.bta] # ERROR: Reference to Undeclared Environment
  step "s" { run = "deploy" }
}
