description = "A committed pipeline file that is a symbolic link to a host file: validate and diff --format markdown would print its lines."
links  = { "leak.pipeline.hcl" = "{{host_file}}" }
output = ["Pipeline File Outside Repository"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
