pipeline "p" {
  image = "alpine:3.20"
}

locals {
  a = 1
}

locals {
  a = 2 # ERROR: Duplicate Local Value Name
}
