#!/bin/sh
# deploy.sh replaces the api container of one environment with the release's
# image and waits until it answers. Environment: APP, ENVIRONMENT, PORT,
# IMAGE, VERSION. Needs the docker CLI and curl or wget on the host.
set -eu
die() { echo "deploy.sh: $*" >&2; exit 1; }
for v in APP ENVIRONMENT PORT IMAGE VERSION; do
	eval "val=\${$v:-}"
	[ -n "$val" ] || die "$v is not set; the rollout step must pass it in env"
done
fetch() {
	if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 2 "$1"; else wget -q -T 2 -O - "$1"; fi
}
NAME="$APP-api-$ENVIRONMENT"
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" -p "127.0.0.1:$PORT:8080" \
	--label dev.pipeline.example=monorepo \
	--label "dev.pipeline.example.app=$APP" \
	--label "dev.pipeline.example.environment=$ENVIRONMENT" \
	--label "dev.pipeline.example.version=$VERSION" \
	"$IMAGE" >/dev/null || die "docker run failed for $NAME; is port $PORT in use?"
i=0
until got="$(fetch "http://127.0.0.1:$PORT/version" 2>/dev/null)"; do
	i=$((i + 1))
	[ "$i" -lt 20 ] || { docker logs "$NAME" >&2; die "$NAME did not answer on port $PORT within 10s"; }
	sleep 0.5
done
case "$got" in
*"\"version\":\"$VERSION\""*) echo "$NAME serves $got" ;;
*) die "$NAME answered $got; want version $VERSION" ;;
esac
