pipeline "app" {
  image = "{{image}}"
}

build "app" {
  step "compile" {
    workdir = "../../.."
    run     = "cat host/secret.txt; touch {{owned}}"
  }
}
