# Values known only at run time print as (known after ...).
pipeline "runtime" {
  image   = "alpine:3.20"
  version = "2.0.${git.commit_count}-${run.id}"
}

variable "deploy" {
  type    = bool
  default = true
}

build "app" {
  step "compile" {
    run = "make VERSION=${release.version} RUN=${run.id}"
    env = {
      RUN_ID = run.id
      BRANCH = git.branch
    }
  }
}

package "app" {
  artifact "bin" { path = "bin/app-${git.short_sha}" }
  image "app" { context = "." }
}

environment "qa" {
  step "deploy" {
    when = var.deploy
    run  = "deploy ${release.artifacts.bin} ${release.images.app}"
  }
  step "notify" {
    when    = !var.deploy
    command = ["notify", "--run", run.id, release.version]
  }
}
