# Every step attribute.
pipeline "options" {
  image = "golang:1.26"
}

secret "token" {
  env = "API_TOKEN"
}

build "tools" {
  step "host" {
    runner  = "local"
    command = ["make", "tools", "-j", "4"]
    workdir = "tools"
  }
  step "docker" {
    image      = "docker:27"
    pull       = "always"
    privileged = true
    mounts     = ["/var/run/docker.sock:/var/run/docker.sock"]
    secrets    = [secret.token]
    run        = "docker info"
    timeout    = "1h30m"
    retries    = 3
    env = {
      B_FLAG = "2"
      A_FLAG = "1"
    }
  }
}
