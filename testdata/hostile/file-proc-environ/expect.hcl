description = "file(\"envf\") with envf -> /proc/self/environ hands the process environment (CI tokens) to a step."
links  = { "envf" = "/proc/self/environ" }
output = ["leads outside the repository"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
