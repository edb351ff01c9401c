# A deep chain: 40 build stages, each needing the one before.
pipeline "chain" {
  image = "busybox:1.36"
}

build "link-00" {
  step "work" { run = "echo 0" }
}

build "link-01" {
  needs = [build.link-00]
  step "work" { run = "echo 1" }
}

build "link-02" {
  needs = [build.link-01]
  step "work" { run = "echo 2" }
}

build "link-03" {
  needs = [build.link-02]
  step "work" { run = "echo 3" }
}

build "link-04" {
  needs = [build.link-03]
  step "work" { run = "echo 4" }
}

build "link-05" {
  needs = [build.link-04]
  step "work" { run = "echo 5" }
}

build "link-06" {
  needs = [build.link-05]
  step "work" { run = "echo 6" }
}

build "link-07" {
  needs = [build.link-06]
  step "work" { run = "echo 7" }
}

build "link-08" {
  needs = [build.link-07]
  step "work" { run = "echo 8" }
}

build "link-09" {
  needs = [build.link-08]
  step "work" { run = "echo 9" }
}

build "link-10" {
  needs = [build.link-09]
  step "work" { run = "echo 10" }
}

build "link-11" {
  needs = [build.link-10]
  step "work" { run = "echo 11" }
}

build "link-12" {
  needs = [build.link-11]
  step "work" { run = "echo 12" }
}

build "link-13" {
  needs = [build.link-12]
  step "work" { run = "echo 13" }
}

build "link-14" {
  needs = [build.link-13]
  step "work" { run = "echo 14" }
}

build "link-15" {
  needs = [build.link-14]
  step "work" { run = "echo 15" }
}

build "link-16" {
  needs = [build.link-15]
  step "work" { run = "echo 16" }
}

build "link-17" {
  needs = [build.link-16]
  step "work" { run = "echo 17" }
}

build "link-18" {
  needs = [build.link-17]
  step "work" { run = "echo 18" }
}

build "link-19" {
  needs = [build.link-18]
  step "work" { run = "echo 19" }
}

build "link-20" {
  needs = [build.link-19]
  step "work" { run = "echo 20" }
}

build "link-21" {
  needs = [build.link-20]
  step "work" { run = "echo 21" }
}

build "link-22" {
  needs = [build.link-21]
  step "work" { run = "echo 22" }
}

build "link-23" {
  needs = [build.link-22]
  step "work" { run = "echo 23" }
}

build "link-24" {
  needs = [build.link-23]
  step "work" { run = "echo 24" }
}

build "link-25" {
  needs = [build.link-24]
  step "work" { run = "echo 25" }
}

build "link-26" {
  needs = [build.link-25]
  step "work" { run = "echo 26" }
}

build "link-27" {
  needs = [build.link-26]
  step "work" { run = "echo 27" }
}

build "link-28" {
  needs = [build.link-27]
  step "work" { run = "echo 28" }
}

build "link-29" {
  needs = [build.link-28]
  step "work" { run = "echo 29" }
}

build "link-30" {
  needs = [build.link-29]
  step "work" { run = "echo 30" }
}

build "link-31" {
  needs = [build.link-30]
  step "work" { run = "echo 31" }
}

build "link-32" {
  needs = [build.link-31]
  step "work" { run = "echo 32" }
}

build "link-33" {
  needs = [build.link-32]
  step "work" { run = "echo 33" }
}

build "link-34" {
  needs = [build.link-33]
  step "work" { run = "echo 34" }
}

build "link-35" {
  needs = [build.link-34]
  step "work" { run = "echo 35" }
}

build "link-36" {
  needs = [build.link-35]
  step "work" { run = "echo 36" }
}

build "link-37" {
  needs = [build.link-36]
  step "work" { run = "echo 37" }
}

build "link-38" {
  needs = [build.link-37]
  step "work" { run = "echo 38" }
}

build "link-39" {
  needs = [build.link-38]
  step "work" { run = "echo 39" }
}
