pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "make" }
}

notify "chat" {
  webhook = "https://a"
  on      = ["run_failed"]
}

notify "chat" { # ERROR: Duplicate Notify Name
  webhook = "https://b"
  on      = ["run_failed"]
}
