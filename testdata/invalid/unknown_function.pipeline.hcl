pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = uppercase("make") } # ERROR: Call to unknown function
}
