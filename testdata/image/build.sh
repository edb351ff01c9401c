#!/bin/sh
# build.sh builds the local test image pipeline-test/busybox:latest from
# Debian's busybox-static package and imports it into the Docker engine.
#
# There is no container registry on the test machines and the Docker engine
# starts with no images, so tests that need a container use this image. The
# script is idempotent: when the image exists it exits 0 at once. It needs
# only Debian packages (busybox-static, and apt-get to install it) and the
# docker CLI. Set IMAGE to import under another name.
set -eu

IMAGE="${IMAGE:-pipeline-test/busybox:latest}"

log() { printf 'build.sh: %s\n' "$*"; }

if ! command -v docker >/dev/null 2>&1; then
	log "the docker CLI is not installed; install docker.io (apt-get install -y docker.io)" >&2
	exit 1
fi

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
	log "$IMAGE already exists; nothing to do"
	exit 0
fi

# is_static reports whether $1 is a statically linked executable: ldd fails
# for binaries without a dynamic loader.
is_static() {
	[ -x "$1" ] || return 1
	if command -v ldd >/dev/null 2>&1 && ldd "$1" >/dev/null 2>&1; then
		return 1
	fi
	return 0
}

BUSYBOX=/bin/busybox
if is_static "$BUSYBOX"; then
	log "using the static $BUSYBOX already installed"
else
	if [ "$(id -u)" -ne 0 ]; then
		log "$BUSYBOX is missing or not static; run: sudo apt-get install -y busybox-static" >&2
		exit 1
	fi
	log "installing busybox-static with apt-get"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static; then
		log "install failed; running apt-get update and retrying"
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static
	fi
	if ! is_static "$BUSYBOX"; then
		log "$BUSYBOX is still not a static binary after installing busybox-static" >&2
		exit 1
	fi
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"
mkdir -p "$ROOT/bin" "$ROOT/sbin" "$ROOT/usr/bin" "$ROOT/usr/sbin" \
	"$ROOT/etc" "$ROOT/root" "$ROOT/tmp" "$ROOT/workspace"
chmod 1777 "$ROOT/tmp"
cp "$BUSYBOX" "$ROOT/bin/busybox"

count=0
for applet in $("$BUSYBOX" --list-full); do
	target="$ROOT/$applet"
	[ -e "$target" ] && continue
	mkdir -p "$(dirname "$target")"
	ln -s /bin/busybox "$target"
	count=$((count + 1))
done
log "linked $count applets to /bin/busybox"

cat >"$ROOT/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$ROOT/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP

log "importing $IMAGE"
tar -C "$ROOT" -cf - . | docker import \
	--change 'CMD ["sh"]' \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--message "pipeline test image from Debian busybox-static" \
	- "$IMAGE" >/dev/null
log "built $IMAGE ($(docker image inspect --format '{{.Id}}' "$IMAGE"))"
