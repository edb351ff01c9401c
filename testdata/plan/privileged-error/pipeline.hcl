# Steps that ask for more of the host than a run gives by default: planning
# without --allow-privileged lists every one of them.
pipeline "privileged" {
  image = "docker:27"
}

build "app" {
  step "compile" {
    run = "make"
  }
  step "dind" {
    privileged = true
    mounts     = ["/var/run/docker.sock:/var/run/docker.sock", "/srv/cache:/root/.cache:ro"]
    run        = "docker build ."
  }
}

environment "staging" {
  step "rollout" {
    mounts = ["/etc/kube:/kube:ro"]
    run    = "kubectl apply -f deploy.yaml"
  }
  step "smoke" {
    run = "curl -f https://staging.example.com"
  }
}
