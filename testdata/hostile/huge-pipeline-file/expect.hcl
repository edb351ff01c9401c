description = "A 5 MB pipeline file."
generate = { "huge.pipeline.hcl" = "size:5000000" }
output   = ["Pipeline File Too Large"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
