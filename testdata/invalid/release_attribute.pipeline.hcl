pipeline "p" {
  image = "alpine:3.20"
}

environment "prod" {
  step "s" { run = "echo ${release.name}" } # ERROR: Unsupported Attribute
}
