pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "make" }
}

notify "chat" { # ERROR: Missing required argument
  on = ["run_failed"]
}
