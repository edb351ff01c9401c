pipeline "p" {
  image = "alpine:3.20"
}

template "a" {
  extends = template.b # ERROR: Template Cycle
  timeout = "1m"
}

template "b" {
  extends = template.a
}

template "c" {
  extends = template.nope # ERROR: Reference to Undeclared Template
}

template "d" {
  extends = "a" # ERROR: Invalid Template Reference
}

build "app" {
  step "compile" {
    extends = template.a
    run     = "true"
  }
  step "typo" {
    extends = template.bse # ERROR: Reference to Undeclared Template
    run     = "true"
  }
}
