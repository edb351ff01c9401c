description = "An artifact that is a committed link to a host file."
links      = { "out/app" = "{{host_file}}" }
validate   = 0
plan       = 0
diff       = 1
dry_run    = 0
run_docker = 1
run_local  = 1
output     = ["artifact bin", "leads outside the repository"]
