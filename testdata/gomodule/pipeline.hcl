# A real Go module built, vetted and tested in one shared container.
# GOCACHE lives in the workspace so that a warm run reuses the build cache
# (with step caches, caches = ["/root/.cache/go-build"] would do instead).
pipeline "wordfreq" {
  image = "pipeline-test/go:latest"
}

build "wordfreq" {
  container = "shared"
  step "compile" {
    env = { GOCACHE = "/workspace/.gocache" }
    run = "go build -o dist/wordfreq ./cmd/wordfreq"
  }
  step "vet" {
    needs = [step.compile]
    env   = { GOCACHE = "/workspace/.gocache" }
    run   = "go vet ./..."
  }
  step "test" {
    needs = [step.compile]
    env   = { GOCACHE = "/workspace/.gocache" }
    run   = "go test ./..."
  }
}
