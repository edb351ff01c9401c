pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "bad name" { run = "make" } # ERROR: Invalid Name
}
