description = "The same link, relative: ../host/secret.txt."
links  = { "leak.pipeline.hcl" = "{{host_rel}}/secret.txt" }
output = ["Pipeline File Outside Repository"]

validate   = 2
plan       = 2
diff       = 2
dry_run    = 2
run_docker = 2
run_local  = 2
