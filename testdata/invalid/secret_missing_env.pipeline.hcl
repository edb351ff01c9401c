pipeline "p" {
  image = "alpine:3.20"
}

secret "tok" { # ERROR: Missing required argument
}
