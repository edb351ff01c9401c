pipeline "p" {
  image = "alpine:3.20"
}

package "webapp" {
  image "webapp" { context = "." }
}

environment "prod" {
  step "s" { run = "deploy ${release.images.web}" } # ERROR: Reference to Undeclared Image
}
