pipeline "cli" {
  image = "golang:1.26@sha256:abababababababababababababababababababababababababababababababab"
}

variable "ldflags" {
  type    = string
  default = "-s -w -X main.channel=stable"
}

build "cli" {
  step "compile" {
    command = ["go", "build", "-trimpath", "-ldflags", var.ldflags, "-o", "dist/cli", "./cmd/cli"]
    env     = { CGO_ENABLED = "0" }
  }
}

test "unit" {
  step "go-test" { run = "go test ./..." }
}

package "cli" {
  artifact "binary" { path = "dist/cli" }
}
