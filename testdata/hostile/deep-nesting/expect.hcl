description = "100,000 nested parentheses: the parser would exhaust its stack (fatal error: stack overflow, 1.1 GB)."
generate = { "deep.pipeline.hcl" = "nesting:100000" }
output   = ["Nesting Too Deep"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
