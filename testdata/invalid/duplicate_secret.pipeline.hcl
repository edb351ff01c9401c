pipeline "p" {
  image = "alpine:3.20"
}

secret "tok" { env = "A" }
secret "tok" { env = "B" } # ERROR: Duplicate Secret Name
