pipeline "p" {
  image = "alpine:3.20"
}

variable "x" {
  default = var.y # ERROR: Variables not allowed
}

variable "y" {
  default = "y"
}
