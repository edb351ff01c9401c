pipeline "p" {
  image = "alpine:3.20"
}

locals {
  cmd = "deploy ${release.version}" # ERROR: Run-Time Value Not Allowed Here
}
