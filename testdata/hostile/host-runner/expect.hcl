description = "runner = \"local\" in the branch's config: a host process with no flag (cd ../../..; pwd is /)."
validate   = 0
plan       = 2
diff       = 1
dry_run    = 2
run_docker = 2
output     = ["--allow-host", "build.app.compile"]
