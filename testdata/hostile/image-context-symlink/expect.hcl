description = "A package image whose context is a committed link to a host directory."
links      = { "ctx" = "{{host_dir}}" }
validate   = 0
plan       = 0
diff       = 1
dry_run    = 0
run_docker = 1
output     = ["context \"ctx\"", "leads outside the repository"]
