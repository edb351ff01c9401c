pipeline "p" {
  image = "alpine:3.20"
}

image "tools" {
  context    = "."
  dockerfile = "no.Dockerfile" # ERROR: Missing Dockerfile
}

image "abs" {
  context = "/etc" # ERROR: Invalid Path
}

build "a" {
  step "s" {
    image   = image.tool # ERROR: Reference to Undeclared Image
    inputs  = ["../x"] # ERROR: Invalid File Pattern
    outputs = ["dist/[a"] # ERROR: Invalid File Pattern
    caches  = ["cache"] # ERROR: Invalid Cache Path
    user    = "a b" # ERROR: Invalid User
    run     = "make"
  }
  step "t" {
    inputs = [] # ERROR: Empty Inputs
    run    = "make"
  }
  step "u" {
    workspace = false
    outputs   = ["dist/x"] # ERROR: Outputs Without Workspace
    run       = "make"
  }
  step "v" {
    runner = "local"
    user   = "1000" # ERROR: Attribute Not for Local Steps
    run    = "make"
  }
}

environment "e" {
  step "d" { # ERROR: Inputs in an Environment Step
    inputs = ["x"]
    run    = "deploy"
  }
}
