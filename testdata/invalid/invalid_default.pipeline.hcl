pipeline "p" {
  image = "alpine:3.20"
}

variable "replicas" {
  type    = number
  default = "three" # ERROR: Invalid Default Value
}
