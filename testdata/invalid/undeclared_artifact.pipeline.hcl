pipeline "p" {
  image = "alpine:3.20"
}

package "webapp" {
  artifact "binary" { path = "dist/webapp" }
}

environment "prod" {
  step "s" {
    command = ["deploy", release.artifacts.bin] # ERROR: Reference to Undeclared Artifact
  }
}
