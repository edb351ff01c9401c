pipeline "git" {
  image   = "alpine:3.20"
  version = "1.4.${git.commit_count}-${git.short_sha}"
}

build "app" {
  step "stamp" {
    run = "echo ${git.sha} ${git.branch} ${git.tag} ${git.author}"
  }
}
