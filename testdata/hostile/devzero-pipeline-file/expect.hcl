description = "A pipeline file linked to /dev/zero: reading it would never end."
links  = { "zero.pipeline.hcl" = "/dev/zero" }
output = ["Pipeline File Outside Repository"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
