pipeline "app" {
  image = "{{image}}"
}

build "app" {
  step "compile" {
    run = "mkdir -p dist && echo built > dist/app"
  }
}

package "app" {
  image "web" {
    context    = "."
    dockerfile = "Dockerfile"
  }
}
