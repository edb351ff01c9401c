pipeline "shop" {
  image = "alpine:3.20"
}

build "app" {
  step "compile" { run = "make" }
}

group "release-managers" {
  members         = ["carol@example.com"]
  allowed_signers = <<-EOT
    carol@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIDdjfxkyOcBx7UEurPG0ijuWuMaOqyuGygkkeA3/1zP
  EOT
}

environment "production" {
  gate "go-live" {
    approvers = ["group:release-managers"]
    signed    = true
  }
  step "rollout" { run = "./deploy.sh production" }
}
