pipeline "p" {
  image = "alpine:3.20"
}

environment "production" {
  step "rollout" {
    run = "true"
  }
}

freeze "typo" {
  environments = [environment.prod] # ERROR: Reference to Undeclared Environment
  from         = "2026-12-20T00:00:00Z"
  to           = "2027-01-04T00:00:00Z"
}

freeze "dates" {
  environments = [environment.production]
  from         = "20 December" # ERROR: Invalid Time
  to           = "2027-01-04" # ERROR: Invalid Time
}

freeze "backwards" {
  environments = [environment.production]
  from         = "2027-01-04T00:00:00Z"
  to           = "2026-12-20T00:00:00Z" # ERROR: Empty Freeze Window
}

freeze "nothing" {
  environments = [] # ERROR: Empty Freeze
  from         = "2026-12-20T00:00:00Z"
  to           = "2027-01-04T00:00:00Z"
}
