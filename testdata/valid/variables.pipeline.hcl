pipeline "variables" {
  image = "golang:${var.go_version}"
}

variable "go_version" {
  type        = string
  default     = "1.26"
  description = "Go toolchain version used by every step"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+$", var.go_version))
    error_message = "The Go version must look like 1.26."
  }
}

variable "parallel" {
  type    = number
  default = 4
}

variable "race" {
  type    = bool
  default = true
}

variable "platforms" {
  type    = list(string)
  default = ["linux/amd64", "linux/arm64"]
}

variable "labels" {
  type    = map(string)
  default = { team = "web" }
}

variable "deploy" {
  type = object({
    region   = string
    replicas = optional(number, 2)
  })
  default = { region = "eu-west-1" }
}

variable "from_env" {
  type = string
}

variable "untyped" {
  default = "anything"
}

test "unit" {
  step "go-test" {
    run = "go test -p ${var.parallel} ${var.race ? "-race" : ""} ./..."
    env = {
      PLATFORMS = join(",", var.platforms)
      TEAM      = var.labels["team"]
      REGION    = var.deploy.region
      REPLICAS  = tostring(var.deploy.replicas)
      FROM_ENV  = var.from_env
      UNTYPED   = var.untyped
    }
  }
}
