# A diamond at stage level (build -> two tests -> package) and at step level
# inside the package stage.
pipeline "diamond" {
  image = "golang:1.26"
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

package "bundle" {
  needs = [test.unit, test.integration]
  step "prepare" { run = "make prepare" }
  step "left" {
    needs = [step.prepare]
    run   = "make left"
  }
  step "right" {
    needs = [step.prepare]
    run   = "make right"
  }
  step "join" {
    needs = [step.left, step.right]
    run   = "make bundle"
  }
  artifact "bundle" { path = "dist/bundle.tar.gz" }
}
