description = "A build step that leaves a link to a host file where the artifact should be."
validate   = 0
plan       = 0
diff       = 1
dry_run    = 0
run_docker = 1
run_local  = 1
output     = ["artifact bin", "leads outside the repository"]
