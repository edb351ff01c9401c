pipeline "p" {
  image = "alpine:3.20"
}

package "a" {
  image "web" { context = "." }
  image "web" { context = "web" } # ERROR: Duplicate Image Name
}
