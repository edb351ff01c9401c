pipeline "p" {
  image = "alpine:3.20"
}

locals {
  a = "${local.b}-x" # ERROR: Cycle Between Local Values
  b = local.c
  c = local.a
  d = local.a
}
