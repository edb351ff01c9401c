description = "A step that mounts the Docker socket (host root through the engine)."
validate   = 0
plan       = 2
diff       = 1
dry_run    = 2
run_docker = 2
run_local  = 2
output     = ["--allow-privileged"]
