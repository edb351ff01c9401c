pipeline "p" {
  image = "alpine:3.20"
}

package "a" {
  artifact "bin" { path = "a" }
}

package "b" {
  artifact "bin" { path = "b" } # ERROR: Duplicate Artifact Name
}
