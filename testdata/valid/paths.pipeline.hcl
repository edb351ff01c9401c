# A monorepo component whose deployments also carry the commits that
# change the shared code it is built from.
pipeline "api" {
  image = "alpine:3.20"
  paths = ["../shared", "../proto"]
}

build "api" {
  step "compile" { run = "make api" }
}
