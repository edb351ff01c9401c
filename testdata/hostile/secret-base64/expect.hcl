description = "A step that receives a secret prints it as a Basic-auth header, base64(\"user:\" + secret), and in hex."
validate   = 0
plan       = 0
run_docker = 1
