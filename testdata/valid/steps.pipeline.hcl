pipeline "steps" {
  image = "golang:1.26"
}

test "everything" {
  step "build" {
    command    = ["go", "build", "./..."]
    image      = "golang:1.26-alpine"
    env        = { CGO_ENABLED = "0", GOFLAGS = "-mod=mod" }
    workdir    = "src/app"
    timeout    = "1h30m"
    retries    = 2
    pull       = "always"
    privileged = true
    mounts     = ["/srv/cache/go:/root/.cache:rw", "/etc/ssl/certs:/etc/ssl/certs:ro", "/var/run/docker.sock:/var/run/docker.sock"]
  }

  step "local-check" {
    run    = "make check"
    runner = "local"
    pull   = "never"
    needs  = [step.build]
  }

  step "docker" {
    run    = "echo docker"
    runner = "docker"
    when   = git.branch == "main"
  }

  step "always" {
    run   = "echo always"
    when  = true
    needs = [step.build, step.local-check]
  }
}
