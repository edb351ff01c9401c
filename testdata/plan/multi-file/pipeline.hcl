pipeline "split" {
  description = "Config split across several files"
  image       = "alpine:3.20"
}

locals {
  target = "dist/app"
}
