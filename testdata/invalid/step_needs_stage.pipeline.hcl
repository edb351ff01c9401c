pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" { run = "make" }
}

test "b" {
  step "s" {
    needs = [build.a] # ERROR: Invalid Reference
    run   = "make"
  }
}
