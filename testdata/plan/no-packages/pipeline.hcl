# No package stage: no release node; environments follow the test stages.
pipeline "scripts" {
  image = "alpine:3.20"
}

build "lint" {
  step "shellcheck" { run = "shellcheck *.sh" }
}

test "smoke" {
  step "bats" { run = "bats test" }
}

environment "staging" {
  step "sync" { run = "rsync -a . staging:/srv" }
}

environment "live" {
  requires = [environment.staging]
  step "sync" { run = "rsync -a . live:/srv" }
}
