description = "An honest branch: the harness itself, every command as usual."
validate   = 0
plan       = 0
diff       = 0
dry_run    = 1
run_docker = 1
run_local  = 1
output     = ["staging"]
