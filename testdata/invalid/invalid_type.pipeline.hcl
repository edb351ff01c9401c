pipeline "p" {
  image = "alpine:3.20"
}

variable "x" {
  type = strin # ERROR: Invalid type specification
}
