#!/bin/sh
# build-go.sh builds the local Go toolchain image pipeline-test/go:latest
# from the Go installation of this machine (GOROOT, default /usr/local/go),
# on top of pipeline-test/busybox:latest (build.sh makes it). No registry
# is needed. Go's binaries are static, so busybox's sh and coreutils are
# all the image adds; CGO is off. The script is idempotent: when the image
# exists it exits 0 at once. Set IMAGE to import under another name.
set -eu

IMAGE="${IMAGE:-pipeline-test/go:latest}"
BASE="pipeline-test/busybox:latest"
GOROOT_DIR="${GOROOT_DIR:-$(go env GOROOT 2>/dev/null || echo /usr/local/go)}"

log() { printf 'build-go.sh: %s\n' "$*"; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
	log "$IMAGE already exists; nothing to do"
	exit 0
fi
if [ ! -x "$GOROOT_DIR/bin/go" ]; then
	log "no Go installation at $GOROOT_DIR; set GOROOT_DIR to one" >&2
	exit 1
fi
sh "$(dirname "$0")/build.sh" >/dev/null

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
# Only what building, vetting and testing need: no docs, tests or the
# toolchain's own testdata.
mkdir -p "$ctx/go"
(cd "$GOROOT_DIR" && tar -cf - --exclude='./test' --exclude='./doc' --exclude='*/testdata' --exclude='./api' --exclude='./misc' .) |
	(cd "$ctx/go" && tar -xf -)
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY go /usr/local/go
ENV PATH=/usr/local/go/bin:/bin:/usr/bin \
    GOROOT=/usr/local/go \
    GOPATH=/root/go \
    GOCACHE=/root/.cache/go-build \
    GOTOOLCHAIN=local \
    GOPROXY=off \
    GOFLAGS=-buildvcs=false \
    CGO_ENABLED=0 \
    HOME=/root
RUN mkdir -p /root/go /root/.cache /tmp && go version
DOCKERFILE
log "building $IMAGE from $GOROOT_DIR"
docker build -q -t "$IMAGE" "$ctx"
log "built $IMAGE"
