pipeline "p" {
  image = "alpine:3.20"
  paths = [
    "../shared",
    "", # ERROR: Invalid Path
    "/etc", # ERROR: Invalid Path
    "proto/*.proto", # ERROR: Invalid Path
    "../shared/", # ERROR: Invalid Path
  ]
}

build "b" {
  step "s" { run = "make" }
}
