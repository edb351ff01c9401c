pipeline "app" {
  image = "{{image}}"
}

build "app" {
  step "compile" {
    run = "echo ${file("{{host_rel}}/secret.txt")}"
  }
}
