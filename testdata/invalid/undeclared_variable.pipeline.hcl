pipeline "p" {
  image = "alpine:3.20"
}

variable "go_flags" { default = "" }

build "a" {
  step "s" { run = "go build ${var.go_flag}" } # ERROR: Reference to Undeclared Variable
}
