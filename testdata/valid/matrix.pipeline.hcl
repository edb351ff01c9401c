# A matrix step expands into one step per combination, named with its
# values in declaration order; needs on a matrix step waits for them all.
pipeline "matrix" {
  image = "golang:1.26"
}

variable "archs" {
  type    = list(string)
  default = ["amd64", "arm64"]
}

test "unit" {
  step "go-test" {
    matrix = {
      go   = ["1.25", "1.26"]
      arch = var.archs
      exclude = [
        { go = "1.25", arch = "arm64" },
      ]
      include = [
        { go = "1.24", arch = "386" },
      ]
    }
    image = "golang:${matrix.go}"
    env   = { GOARCH = matrix.arch }
    run   = "go test ./... # ${matrix.go}/${matrix.arch}"
    when  = matrix.arch != "386" || git.branch == "main"
  }
  step "lint" {
    matrix = { os = ["linux", "darwin"] }
    run    = "GOOS=${matrix.os} go vet ./..."
  }
  step "report" {
    needs = [step.go-test, step.lint]
    run   = "echo all combinations passed"
  }
}
