#!/bin/sh
# build-go.sh builds pipeline-test/go:latest, a Go toolchain image made
# without a registry: the local test image (pipeline-test/busybox:latest,
# made by build.sh) plus this machine's Go installation (go env GOROOT)
# copied into /usr/local/go. Go's toolchain binaries are static, so busybox
# is enough to run go build, go vet and go test with CGO_ENABLED=0.
#
# The image sets GOTOOLCHAIN=local and GOPROXY=off, so nothing is fetched
# from the network: a module must vendor or cache its dependencies (mount a
# cache at /root/go/pkg/mod, or GOMODCACHE, with caches = [...]).
# GOCACHE and GOPATH live below $HOME (HOME=/tmp for a non-root uid without
# a passwd entry, see README "Who owns the files").
#
# The script is idempotent: when the image exists it exits 0 at once; set
# FORCE=1 to rebuild (after upgrading Go). Set IMAGE to use another name.
set -eu

IMAGE="${IMAGE:-pipeline-test/go:latest}"
BASE="pipeline-test/busybox:latest"
HERE="$(cd "$(dirname "$0")" && pwd)"

log() { printf 'build-go.sh: %s\n' "$*"; }

if [ -z "${FORCE:-}" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
	log "$IMAGE already exists; nothing to do (FORCE=1 rebuilds it)"
	exit 0
fi
IMAGE="$BASE" sh "$HERE/build.sh"

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [ ! -x "$GO" ]; then
	log "no Go toolchain found (looked for go on PATH and /usr/local/go/bin/go); install Go or set GO=/path/to/go" >&2
	exit 1
fi
GOROOT="$("$GO" env GOROOT)"
VERSION="$("$GO" env GOVERSION)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
log "copying $GOROOT ($VERSION) into the build context"
cp -a "$GOROOT" "$WORK/go"
cat >"$WORK/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY go /usr/local/go
ENV GOROOT=/usr/local/go \\
    PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    CGO_ENABLED=0 \\
    GOTOOLCHAIN=local \\
    GOPROXY=off \\
    GOFLAGS=-buildvcs=false
LABEL dev.pipeline.test-image="go" dev.pipeline.go-version="$VERSION"
DOCKERFILE
log "building $IMAGE"
docker build -q -t "$IMAGE" "$WORK" >/dev/null
log "built $IMAGE ($VERSION, $(docker image inspect --format '{{.Id}}' "$IMAGE"))"
