description = "A step with an empty image: reported by validate, not only by run."
output = ["Empty Step Image"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
