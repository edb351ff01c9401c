description = "A dockerfile path that climbs out of the build context and the repository."
output = ["Path Outside Repository"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
