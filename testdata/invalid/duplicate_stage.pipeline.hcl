pipeline "p" {
  image = "alpine:3.20"
}

test "unit" {
  step "a" { run = "make" }
}

test "unit" { # ERROR: Duplicate Stage Name
  step "b" { run = "make" }
}

build "unit" {
  step "c" { run = "make" }
}
