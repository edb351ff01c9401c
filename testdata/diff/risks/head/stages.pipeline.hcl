build "webapp" {
  step "compile" {
    run = "go build ${var.go_flags} -o ${local.binary} ./cmd/webapp"
    env = { CGO_ENABLED = "0" }
  }
}

test "unit" {
  step "go-test" {
    run     = "go test ./..."
    timeout = "10m"
    retries = 1
  }
}

package "webapp" {
  artifact "binary" {
    path = local.binary
  }
}

test "lint" {
  step "golangci" {
    runner = "local"
    run    = "golangci-lint run"
  }
}
