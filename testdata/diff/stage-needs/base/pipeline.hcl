# An API and a web front end, built separately; the end-to-end tests drive both.
pipeline "storefront" {
  image = "node:22@sha256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
}

build "api" {
  step "compile" {
    image = "golang:1.26@sha256:efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef"
    run   = "go build -o dist/api ./cmd/api"
  }
}

build "web" {
  step "bundle" { run = "npm ci && npm run build" }
}

test "api" {
  needs = [build.api]
  step "go-test" {
    image = "golang:1.26@sha256:efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef"
    run   = "go test ./..."
  }
}

test "e2e" {
  needs = [build.api]
  step "playwright" {
    run     = "npx playwright test"
    timeout = "20m"
  }
}

package "storefront" {
  artifact "api" { path = "dist/api" }
  artifact "web" { path = "web/dist" }
}
