pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "make" }
}

notify "chat" {
  webhook = "https://chat"
  on      = ["run_failed", "deploy_faild"] # ERROR: Unknown Notify Event
}
