pipeline "p" {
  image = "alpine:3.20"
}

test "unit" {
  step "s" {
    run = "make"
    cache "x" {} # ERROR: Unsupported block type
  }
}
