pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "make" }
}

test "b" {
  needs = ["build.a"] # ERROR: Invalid Reference
  step "s" { run = "make" }
}
