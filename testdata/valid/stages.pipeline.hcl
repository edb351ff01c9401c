pipeline "stages" {
  image = "golang:1.26"
}

build "api" {
  step "compile" { run = "make api" }
}

build "web" {
  container = "per-step"
  step "compile" { run = "make web" }
}

test "api" {
  needs = [build.api]
  step "unit" { run = "make test-api" }
}

test "web" {
  container = "shared"
  step "unit" { run = "make test-web" }
}

test "lint" {
  needs = []
  step "lint" { run = "make lint" }
}

package "all" {
  needs = [test.api, test.web, test.lint]
  step "tar" { run = "tar czf all.tgz dist" }
}
