description = "A build step lists the production secret that the trusted config scopes to production (the branch drops the scope), and prints it reversed."
validate   = 0
plan       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
diff       = 1
output     = ["secret outside its trusted scope"]
