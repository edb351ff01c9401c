description = "A FIFO as pipeline.hcl in the working tree: reading it would block forever."
fifos  = ["pipeline.hcl"]
output = ["Pipeline File Not a Regular File"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
