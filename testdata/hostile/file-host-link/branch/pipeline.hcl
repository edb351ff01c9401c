pipeline "app" {
  image = "{{image}}"
}

locals {
  notes = file("notes.txt")
}

build "app" {
  step "compile" {
    run = "echo ${local.notes}"
  }
}
