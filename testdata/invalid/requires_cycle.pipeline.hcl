pipeline "p" {
  image = "alpine:3.20"
}

environment "beta" {
  requires = [environment.prod] # ERROR: Cycle in Environment Requirements
  step "s" { run = "deploy" }
}

environment "prod" {
  requires = [environment.beta]
  step "s" { run = "deploy" }
}
