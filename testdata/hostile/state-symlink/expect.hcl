description   = "The branch commits .pipeline as a link to a host directory, so that the default state store and the artifact blobs are written there."
links         = { ".pipeline" = "{{host_dir}}" }
default_state = true
validate      = 0
plan          = 0
run_docker    = 2
run_local     = 2
absent        = ["{{host_dir}}/state.db", "{{host_dir}}/artifacts"]
output        = ["leads out of the repository"]
