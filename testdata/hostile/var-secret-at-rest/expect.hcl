description = "A secret's value given with -var is stored in the run's options."
pending    = "hygiene: secrets never at rest, -var values masked (issue 14 item 6)"
args       = ["-var", "api_key={{secret}}"]
validate   = 0
run_docker = 1
