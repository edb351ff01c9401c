pipeline "package" {
  image = "golang:1.26"
}

package "webapp" {
  step "compile" {
    run = "go build -o dist/webapp ./cmd/webapp"
  }

  artifact "binary" {
    path = "dist/webapp"
  }

  artifact "checksums" {
    path = "dist/SHA256SUMS"
  }

  image "webapp" {
    context    = "."
    dockerfile = "build/Dockerfile"
  }

  image "migrations" {
    context = "db"
  }
}

environment "staging" {
  step "deploy" {
    image   = release.images.webapp
    command = ["deploy", release.artifacts.binary, release.images.migrations]
    env = {
      VERSION = release.version
      RUN_ID  = run.id
      STATIC  = "yes"
    }
    workdir = "releases/${release.version}"
    when    = release.version != ""
  }
}
