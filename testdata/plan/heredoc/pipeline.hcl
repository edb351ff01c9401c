# A multi-line script keeps its lines in the plan.
pipeline "scripted" {
  image = "debian:12"
}

variable "level" {
  type    = string
  default = "info"
}

build "script" {
  step "setup" {
    run = <<-EOT
      set -eu
      echo "log level ${var.level}"
      ./configure --prefix=/usr
      make -j2
    EOT
  }
}
