description = "runner = \"local\" on an environment step the trusted config runs in a container."
validate   = 0
plan       = 2
diff       = 1
dry_run    = 2
run_docker = 2
output     = ["--allow-host", "environment.staging.rollout"]
