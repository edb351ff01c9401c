pipeline "p" {
  image = "alpine:3.20"
}

variable "x" { default = "a" }
variable "x" { default = "b" } # ERROR: Duplicate Variable Name
