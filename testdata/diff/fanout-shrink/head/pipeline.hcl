# One build, then the tests of every module in parallel, one package.
# billing and shipping moved to their own repository.
pipeline "market" {
  image = "golang:1.26@sha256:6666666666666666666666666666666666666666666666666666666666666666"
}

build "all" {
  step "compile" { run = "go build ./..." }
}

test "api" {
  step "go-test" { run = "go test ./api/..." }
}

test "auth" {
  step "go-test" { run = "go test ./auth/..." }
}

test "catalog" {
  step "go-test" { run = "go test ./catalog/..." }
}

test "checkout" {
  step "go-test" { run = "go test ./checkout/..." }
}

test "inventory" {
  step "go-test" { run = "go test ./inventory/..." }
}

test "search" {
  step "go-test" { run = "go test ./search/..." }
}

package "market" {
  step "tar" { run = "tar czf dist.tgz dist" }
  artifact "dist" { path = "dist.tgz" }
}
