pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  container = "shard" # ERROR: Invalid Container
  step "compile" { run = "make" }
}

test "b" {
  container = 3 # ERROR: Invalid Container
  step "unit" { run = "make test" }
}
