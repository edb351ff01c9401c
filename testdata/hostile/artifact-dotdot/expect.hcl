description = "An artifact path with .. that names a host file: copied into the artifact store."
output = ["Path Outside Repository"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
