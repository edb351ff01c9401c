# A step that extends a template takes its attributes; the step's own win,
# and env maps merge key by key. Templates may extend templates.
pipeline "templates" {
  image = "alpine:3.20"
}

secret "token" {
  env = "API_TOKEN"
}

template "base" {
  timeout = "10m"
  retries = 1
  env     = { CGO_ENABLED = "0", LOG = "info" }
}

template "go" {
  extends = template.base
  image   = "golang:1.26"
  secrets = [secret.token]
  env     = { GOFLAGS = "-mod=readonly", LOG = "debug" }
}

build "webapp" {
  step "compile" {
    extends = template.go
    run     = "go build ./..."
  }
  step "test" {
    extends = template.go
    matrix  = { arch = ["amd64", "arm64"] }
    env     = { GOARCH = matrix.arch, LOG = "warn" }
    run     = "go test ./..."
    retries = 0
  }
  step "plain" {
    extends = template.base
    run     = "true"
  }
}
