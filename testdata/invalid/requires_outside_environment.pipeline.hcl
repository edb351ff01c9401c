pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "make" }
}

test "b" {
  requires = [environment.prod] # ERROR: Attribute Only Allowed in Environments
  branches = ["main"] # ERROR: Attribute Only Allowed in Environments
  step "s" { run = "make" }
}

environment "prod" {
  step "s" { run = "deploy" }
}
