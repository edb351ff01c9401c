# Build once, test four ways in parallel, package when all four pass.
pipeline "engine" {
  image = "golang:1.26@sha256:5555555555555555555555555555555555555555555555555555555555555555"
}

build "core" {
  step "compile" { run = "make core" }
}

test "unit" {
  needs = [build.core]
  step "go-test" { run = "go test ./..." }
}

test "integration" {
  needs = [build.core]
  step "it" {
    run     = "make it"
    timeout = "30m"
  }
}

test "lint" {
  needs = [build.core]
  step "golangci" { run = "golangci-lint run ./..." }
}

test "fuzz" {
  needs = [build.core]
  step "go-fuzz" {
    run     = "go test -run=NONE -fuzz=FuzzParse -fuzztime=5m ./parser"
    timeout = "10m"
  }
}

package "bundle" {
  needs = [test.unit, test.integration, test.lint, test.fuzz]
  step "tar" { run = "tar czf dist/bundle.tar.gz dist/core" }
  artifact "bundle" { path = "dist/bundle.tar.gz" }
}
