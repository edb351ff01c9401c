description = "A build step lists the production secret that the trusted config scopes to production, and prints it reversed."
pending    = "trust: secrets scoped at the trusted ref (issue 14 item 4)"
validate   = 0
plan       = 2
dry_run    = 2
run_docker = 2
