description = "GITHUB_HEAD_REF=main in a detached checkout of a pull-request commit: production is limited to main."
detached   = true
env        = { GITHUB_HEAD_REF = "main", GITHUB_ACTIONS = "true" }
validate   = 0
plan       = 0
dry_run    = 1
run_docker = 1
forbidden_environments = ["production"]
