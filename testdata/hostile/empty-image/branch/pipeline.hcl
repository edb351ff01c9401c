pipeline "app" {
  image = "{{image}}"
}

build "app" {
  step "compile" {
    image = ""
    run   = "true"
  }
}
