FROM pipeline-test/busybox:latest
ARG GO_VERSION
