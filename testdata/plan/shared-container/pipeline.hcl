# A stage with container = "shared": the steps with the stage's image run
# as execs in one container; the lint step has another image and the host
# step runs on the host, so each gets its own.
pipeline "shared" {
  image = "golang:1.26"
}

build "webapp" {
  container = "shared"
  step "deps" { run = "go mod download" }
  step "vet" {
    needs = [step.deps]
    run   = "go vet ./..."
  }
  step "compile" {
    needs = [step.deps]
    run   = "go build ./..."
  }
  step "lint" {
    image = "golangci/golangci-lint:v2"
    run   = "golangci-lint run"
  }
  step "host" {
    runner  = "local"
    command = ["true"]
  }
}

test "unit" {
  step "go-test" { run = "go test ./..." }
}
