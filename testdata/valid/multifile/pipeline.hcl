pipeline "multi" {
  description = "Split across files"
  image       = "alpine:3.20"
}
