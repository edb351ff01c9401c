description = "A link named like a pipeline file pointing at a directory of the repository."
links  = { "dir.pipeline.hcl" = "." }
output = ["Pipeline File Not a Regular File"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
