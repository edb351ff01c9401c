pipeline "p" {
  image = "alpine:3.20"
}

build "b" {
  step "up" {
    run     = "pwd"
    workdir = "../../.." # ERROR: Workdir Outside Workspace
  }
  step "abs" {
    run     = "pwd"
    workdir = "/etc" # ERROR: Workdir Outside Workspace
  }
  step "ok" {
    run     = "pwd"
    workdir = "src/../tools"
  }
}
