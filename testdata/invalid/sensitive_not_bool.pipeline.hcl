pipeline "p" {
  image = "alpine:3.20"
}

variable "token" {
  type      = string
  default   = "abcdefgh"
  sensitive = "yes" # ERROR: Incorrect Attribute Type
}
