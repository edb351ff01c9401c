pipeline "webapp" {
  image = "pipeline-test/busybox:latest"
}

image "go" {
  context    = "ci"
  dockerfile = "go.Dockerfile"
  args       = { GO_VERSION = "1.26" }
}

build "webapp" {
  step "compile" {
    image   = image.go
    inputs  = ["go.mod", "**/*.go"]
    outputs = ["dist/webapp"]
    caches  = ["/root/go/pkg/mod"]
    run     = "go build -o dist/webapp ."
  }
}
