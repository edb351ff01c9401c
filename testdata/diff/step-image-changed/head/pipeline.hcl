pipeline "webapp" {
  image = "pipeline-test/busybox:latest"
}

image "go" {
  context    = "ci"
  dockerfile = "go.Dockerfile"
  args       = { GO_VERSION = "1.27" }
}

build "webapp" {
  step "compile" {
    image   = image.go
    inputs  = ["go.mod", "**/*.go"]
    outputs = ["dist/webapp"]
    user    = "0"
    caches  = ["/root/go/pkg/mod"]
    run     = "go build -o dist/webapp ."
  }
}
