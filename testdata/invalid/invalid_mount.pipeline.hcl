pipeline "p" {
  image = "alpine:3.20"
}

build "a" {
  step "s" {
    run = "make"
    mounts = [
      "./cache",                     # ERROR: Invalid Mount
      "./ok:/cache",                 # ERROR: Invalid Mount
      "cache:/cache:ro",             # ERROR: Invalid Mount
      "/srv/x:relative",             # ERROR: Invalid Mount
      "/srv/x:/x:rx",                # ERROR: Invalid Mount
      "/srv/x:/x:ro:extra",          # ERROR: Invalid Mount
      "/srv/x:/x:",                  # ERROR: Invalid Mount
      "/srv/ok:/ok:ro",
      "/srv/ok:/ok-too:rw",
      "/srv/ok:/ok-three",
    ]
  }
}
