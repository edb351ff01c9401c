FROM pipeline-test/busybox:latest
ARG GREETING
