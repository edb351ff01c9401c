description = "A step that receives a secret prints it as a Basic-auth header, base64(\"user:\" + secret), and in hex."
pending    = "hygiene: masking covers base64 at all alignments and hex (issue 14 item 6)"
validate   = 0
plan       = 0
run_docker = 1
