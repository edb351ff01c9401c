pipeline "p" {}

build "a" {
  step "docker" { # ERROR: Missing Step Image
    run = "make"
  }
  step "host" {
    run    = "make"
    runner = "local"
  }
  step "own" {
    run   = "make"
    image = "golang:1.26"
  }
}
