pipeline "locals" {
  image = local.image
}

variable "registry" {
  default = "registry.example.com"
}

locals {
  image  = "${local.base}:1.26"
  base   = "golang"
  binary = "dist/${local.name}"
}

locals {
  name    = "webapp"
  tags    = [for t in ["a", "b"] : upper(t)]
  ref     = "${var.registry}/${local.name}"
  version = "1.0.${try(git.commit_count, 0)}"
}

build "webapp" {
  step "compile" {
    run = "go build -o ${local.binary} ./cmd/${local.name} # ${join(",", local.tags)} ${local.ref}"
  }
}
