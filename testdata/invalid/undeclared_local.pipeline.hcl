pipeline "p" {
  image = "alpine:3.20"
}

locals {
  binary = "dist/app"
}

build "a" {
  step "s" { run = "go build -o ${local.binery}" } # ERROR: Reference to Undeclared Local Value
}
