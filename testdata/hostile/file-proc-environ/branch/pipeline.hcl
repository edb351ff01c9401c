pipeline "app" {
  image = "{{image}}"
}

build "app" {
  step "compile" {
    run = "echo ${base64encode(file("envf"))}"
  }
}
