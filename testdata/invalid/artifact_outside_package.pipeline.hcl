pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "make" }
  artifact "bin" { # ERROR: Artifact Outside Package
    path = "dist/bin"
  }
  image "web" { # ERROR: Image Outside Package
    context = "."
  }
}
