pipeline "p" {
  image = "alpine:3.20"
}

group "ops" { members = ["a"] }
group "ops" { members = ["b"] } # ERROR: Duplicate Group Name
