pipeline "p" {
  image = "alpine:3.20"
}

variable "region" { # ERROR: Missing Required Variable
  type = string
}
