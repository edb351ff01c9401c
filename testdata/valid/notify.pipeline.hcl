pipeline "notify" {
  image = "alpine:3.20"
}

build "app" {
  step "make" { run = "make" }
}

notify "chat" {
  webhook = env("CHAT_WEBHOOK")
  on      = ["run_started", "run_succeeded", "run_failed", "gate_waiting"]
}

notify "pager" {
  webhook = "https://pager.example.com/${run.id}"
  on      = ["deploy_failed", "rollback", "gate_expired", "gate_rejected"]
}
