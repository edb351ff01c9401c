description = "A branch adds environment prod2 with no gate: rules come from the change."
validate   = 0
plan       = 0
diff       = 1
dry_run    = 1
run_docker = 1
forbidden_environments = ["prod2"]
