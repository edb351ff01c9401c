pipeline "p" {
  image = "alpine:3.20"
}

test "unit" { # ERROR: Empty Stage
}
