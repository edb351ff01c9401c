pipeline "p" {
  image = "alpine:3.20"
}

build "app" {
  step "compile" { run = "make" }
  step "compile" { run = "make again" } # ERROR: Duplicate Step Name
}
