pipeline "p" {
  image = "alpine:3.20"
}

package "p" {
  artifact "up" {
    path = "../../etc/passwd" # ERROR: Path Outside Repository
  }
  artifact "abs" {
    path = "/etc/passwd" # ERROR: Path Outside Repository
  }
  image "ctx" {
    context = "../hostdir" # ERROR: Path Outside Repository
  }
  image "df" {
    context    = "."
    dockerfile = "../Dockerfile" # ERROR: Path Outside Repository
  }
  artifact "ok" {
    path = "dist/../dist/app"
  }
}
