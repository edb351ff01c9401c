description = "A package image whose Dockerfile is a committed link to a host file."
links      = { "Dockerfile" = "{{host_file}}" }
validate   = 0
plan       = 0
diff       = 1
dry_run    = 0
run_docker = 1
output     = ["dockerfile \"Dockerfile\"", "leads outside the repository"]
