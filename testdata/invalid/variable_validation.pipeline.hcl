pipeline "p" {
  image = "alpine:3.20"
}

variable "env" {
  default = "prd"

  validation {
    condition     = contains(["dev", "prod"], var.env) # ERROR: Invalid Value for Variable
    error_message = "env must be dev or prod."
  }
}
