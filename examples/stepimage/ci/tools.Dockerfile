# Built by pipeline through the Docker Engine API, tagged by the digest of
# this directory (after .dockerignore), this file and the build args.
FROM pipeline-test/busybox:latest
ARG SITE_TITLE=site
COPY render /usr/local/bin/render
RUN chmod 755 /usr/local/bin/render && echo "$SITE_TITLE" > /etc/site-title
