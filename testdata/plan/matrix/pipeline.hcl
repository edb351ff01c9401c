# A 2x2 matrix with an exclusion and an inclusion, a template, and a step
# that waits for every combination.
pipeline "matrix" {
  image = "golang:1.26"
}

template "go" {
  env     = { CGO_ENABLED = "0" }
  timeout = "10m"
}

test "unit" {
  step "go-test" {
    extends = template.go
    matrix = {
      go      = ["1.25", "1.26"]
      arch    = ["amd64", "arm64"]
      exclude = [{ go = "1.25", arch = "arm64" }]
      include = [{ go = "1.24", arch = "amd64" }]
    }
    image = "golang:${matrix.go}"
    env   = { GOARCH = matrix.arch }
    run   = "go test ./..."
  }
  step "report" {
    needs = [step.go-test]
    run   = "echo done"
  }
}

package "app" {
  step "bundle" {
    run = "tar czf app.tgz ."
  }
}
