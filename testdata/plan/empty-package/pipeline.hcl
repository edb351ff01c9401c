# A package stage without steps still orders the release after the tests.
pipeline "site" {
  image = "node:22"
}

build "site" {
  step "npm" { run = "npm ci && npm run build" }
}

test "site" {
  step "lint" { run = "npm run lint" }
}

package "site" {
  artifact "public" { path = "public" }
  image "site" {
    context    = "."
    dockerfile = "deploy/Dockerfile"
  }
}

environment "preview" {
  step "publish" {
    run = "./publish.sh ${release.images.site}"
  }
}
