pipeline "app" {
  image = "{{image}}"
}

build "app" {
  step "compile" {
    run = "mkdir -p dist && echo built > dist/app"
  }
}

package "app" {
  artifact "bin" {
    path = "{{host_rel}}/secret.txt"
  }
}
