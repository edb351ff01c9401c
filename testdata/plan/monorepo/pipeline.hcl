# Two components with their own chains, joined by one release.
pipeline "mono" {
  image = "golang:1.26"
}

build "api" {
  step "go" { run = "go build ./api" }
}

build "web" {
  step "npm" {
    image = "node:22"
    run   = "npm run build"
  }
}

test "api" {
  needs = [build.api]
  step "go" { run = "go test ./api/..." }
}

test "web" {
  needs = [build.web]
  step "npm" {
    image = "node:22"
    run   = "npm test"
  }
}

package "api" {
  needs = [test.api]
  image "api" { context = "api" }
}

package "web" {
  needs = [test.web]
  artifact "web" { path = "web/dist" }
}

environment "staging" {
  step "apply" { run = "kubectl apply -k deploy/staging" }
}

environment "eu" {
  requires = [environment.staging]
  step "apply" { run = "kubectl apply -k deploy/eu" }
}

environment "us" {
  requires = [environment.staging]
  step "apply" { run = "kubectl apply -k deploy/us" }
}
