pipeline "app" {
  image = "{{image}}"
}

build "app" {
  step "compile" {
    run = "mkdir -p dist && ln -sf {{host_file}} dist/app"
  }
}

package "app" {
  artifact "bin" {
    path = "dist/app"
  }
}
