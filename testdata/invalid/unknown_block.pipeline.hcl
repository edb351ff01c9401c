pipeline "p" {
  image = "alpine:3.20"
}

stage "x" { # ERROR: Unsupported block type
}
