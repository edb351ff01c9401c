pipeline "p" {
  image = "alpine:3.20"
}

template "go" {
  imag    = "golang:1.26" # ERROR: Unsupported argument
  timeout = "forever" # ERROR: Invalid Duration
  env     = local.env # ERROR: Env Cannot Be Merged
}

locals {
  env = { A = "1" }
}

build "app" {
  step "one" {
    extends = template.go
    run     = "true"
    env     = { B = "2" }
  }
  step "two" {
    extends = template.go
    run     = "true"
    env     = { C = "3" }
  }
}
