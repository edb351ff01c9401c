description = "A branch adds environment prod2 with no gate: rules come from the change."
pending    = "trust: an environment unknown at the trusted ref is refused (issue 14 item 4)"
validate   = 0
plan       = 0
diff       = 1
dry_run    = 1
run_docker = 1
forbidden_environments = ["prod2"]
