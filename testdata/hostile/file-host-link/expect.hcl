description = "file() of a committed link to a host file."
links  = { "notes.txt" = "{{host_file}}" }
output = ["leads outside the repository"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
