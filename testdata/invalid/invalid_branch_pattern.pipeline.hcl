pipeline "p" {
  image = "alpine:3.20"
}

environment "prod" {
  branches = ["main", "release/["] # ERROR: Invalid Branch Pattern
  step "s" { run = "deploy" }
}
