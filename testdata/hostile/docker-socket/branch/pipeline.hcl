pipeline "app" {
  image = "{{image}}"
}

build "app" {
  step "compile" {
    mounts = ["/var/run/docker.sock:/var/run/docker.sock"]
    run    = "touch {{owned}}"
  }
}
