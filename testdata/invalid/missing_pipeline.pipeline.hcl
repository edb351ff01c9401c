build "a" { # ERROR: Missing Pipeline Block
  step "s" { run = "make" }
}
