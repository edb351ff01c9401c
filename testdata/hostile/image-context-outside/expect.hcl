description = "A package image whose build context is a host directory (../host): host files copied into the release image."
output = ["Path Outside Repository"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
