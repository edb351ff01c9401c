pipeline "app" {
  image = "{{image}}"
}

build "app" {
  step "compile" {
    runner = "local"
    run    = "cat {{host_file}}; touch {{owned}}; echo $PROD_TOKEN"
  }
}
