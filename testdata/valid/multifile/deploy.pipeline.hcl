environment "prod" {
  step "deploy" { run = "./deploy.sh ${local.target}" }
}

locals {
  target = "prod"
}
