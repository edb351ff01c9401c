description = "A secret's value given with -var is stored in the run's options."
args       = ["-var", "api_key={{secret}}"]
validate   = 0
run_docker = 1
