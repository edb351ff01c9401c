# A release train of dependent build stages, each needing the one before.
pipeline "firmware" {
  image = "debian:12@sha256:7777777777777777777777777777777777777777777777777777777777777777"
}

build "link-0" {
  step "work" { run = "make -C link-0" }
}

build "link-1" {
  needs = [build.link-0]
  step "work" { run = "make -C link-1" }
}

build "link-2" {
  needs = [build.link-1]
  step "work" { run = "make -C link-2" }
}

build "link-3" {
  needs = [build.link-2]
  step "work" { run = "make -C link-3" }
}

build "link-4" {
  needs = [build.link-3]
  step "work" {
    image   = "gcc:14.1@sha256:9999999999999999999999999999999999999999999999999999999999999999"
    run     = "make -C link-4"
    timeout = "45m"
  }
}

build "link-5" {
  needs = [build.link-4]
  step "work" { run = "make -C link-5" }
}

build "link-6" {
  needs = [build.link-5]
  step "work" { run = "make -C link-6" }
}

build "link-7" {
  needs = [build.link-6]
  step "work" { run = "make -C link-7" }
}
