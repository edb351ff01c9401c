description = "file() of a path that climbs out of the repository."
output = ["Invalid function argument"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
