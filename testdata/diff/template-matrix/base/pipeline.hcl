pipeline "shop" {
  image = "golang:1.26"
}

secret "registry" {
  env = "REGISTRY_TOKEN"
}

template "go" {
  env     = { CGO_ENABLED = "0" }
  timeout = "10m"
}

test "unit" {
  step "go-test" {
    extends = template.go
    matrix  = { go = ["1.25", "1.26"] }
    image   = "golang:${matrix.go}"
    run     = "go test ./..."
  }
  step "lint" {
    extends = template.go
    run     = "go vet ./..."
  }
}
