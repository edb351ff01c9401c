pipeline "p" {
  image = "alpine:${git.short_sha}" # ERROR: Value Not Known at Load Time
}

build "a" {
  step "s" {
    run     = "make"
    timeout = "${git.commit_count}m" # ERROR: Value Not Known at Load Time
  }
}
