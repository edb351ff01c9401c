description = "A workdir that climbs out of the workspace."
validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
output     = ["Workdir Outside Workspace"]
