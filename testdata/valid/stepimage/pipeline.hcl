pipeline "stepimage" {
  image = "pipeline-test/busybox:latest"
}

image "tools" {
  context    = "."
  dockerfile = "tools.Dockerfile"
  args       = { GREETING = "hello" }
}

build "app" {
  step "compile" {
    image   = image.tools
    inputs  = ["src/**/*.txt", "go.mod"]
    outputs = ["dist/app"]
    caches  = ["/root/.cache", "/root/go/pkg/mod"]
    user    = "1000:1000"
    run     = "mkdir -p dist && cat src/*.txt > dist/app"
  }
  step "report" {
    needs     = [step.compile]
    workspace = false
    run       = "echo done"
  }
}
