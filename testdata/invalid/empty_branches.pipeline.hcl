pipeline "p" {
  image = "alpine:3.20"
}

environment "production" {
  branches = [] # ERROR: Empty Branch List
  step "s" { run = "deploy" }
}
