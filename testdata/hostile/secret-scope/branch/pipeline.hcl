# The trusted config on main that every hostile case starts from.
pipeline "app" {
  image = "{{image}}"
}

secret "prod_token" {
  env = "PROD_TOKEN" # the branch drops the scope
}

build "app" {
  step "compile" {
    run     = "mkdir -p dist && echo built > dist/app && echo \"$PROD_TOKEN\" | rev"
    secrets = [secret.prod_token]
  }
}

package "app" {
  artifact "bin" {
    path = "dist/app"
  }
}

environment "staging" {
  step "rollout" {
    run = "echo staging ${release.version}"
  }
}

environment "production" {
  requires = [environment.staging]
  branches = ["main"]

  gate "go-live" {
    approvers = ["carol@example.com"]
  }

  step "rollout" {
    run     = "test -n \"$PROD_TOKEN\" && echo deployed"
    secrets = [secret.prod_token]
  }
}
