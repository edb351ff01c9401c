#!/bin/sh
# deploy.sh starts one release of webapp as the container of one environment
# and stops the container it replaces. The pipeline's rollout steps run it on
# the host (runner = "local") with these environment variables:
#
#   APP          container name prefix; the container is "$APP-$ENVIRONMENT"
#   ENVIRONMENT  internal, beta or production
#   PORT         host port published to the container's port 8080
#   IMAGE        the release's image (release.images.webapp, an image ID)
#   VERSION      the release version (release.version)
#   HEALTH_TIMEOUT  seconds to wait for /healthz (default 10)
#
# It needs the docker CLI and curl or wget on the host.
set -eu

die() {
	echo "deploy.sh: $*" >&2
	exit 1
}

for v in APP ENVIRONMENT PORT IMAGE VERSION; do
	eval "val=\${$v:-}"
	[ -n "$val" ] || die "$v is not set; the rollout step must pass it in env"
done
command -v docker >/dev/null 2>&1 || die "the docker CLI is not on PATH"
docker image inspect "$IMAGE" >/dev/null 2>&1 ||
	die "image $IMAGE of release $VERSION is not in the local Docker engine; re-run the package stage or deploy a release whose image exists"

NAME="$APP-$ENVIRONMENT"
URL="http://127.0.0.1:$PORT"
TIMEOUT="${HEALTH_TIMEOUT:-10}"

fetch() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS --max-time 2 "$1"
	else
		wget -q -T 2 -O - "$1"
	fi
}

previous="$(docker inspect --format '{{index .Config.Labels "dev.pipeline.example.version"}}' "$NAME" 2>/dev/null || true)"
if [ -n "$previous" ]; then
	echo "stopping $NAME (version $previous)"
	docker rm -f "$NAME" >/dev/null
fi

echo "starting $NAME: version $VERSION, image $IMAGE, port $PORT"
docker run -d --name "$NAME" \
	--restart unless-stopped \
	-p "127.0.0.1:$PORT:8080" \
	-e "WEBAPP_ENV=$ENVIRONMENT" \
	--label "dev.pipeline.example=webapp" \
	--label "dev.pipeline.example.app=$APP" \
	--label "dev.pipeline.example.environment=$ENVIRONMENT" \
	--label "dev.pipeline.example.version=$VERSION" \
	"$IMAGE" >/dev/null ||
	die "docker run failed for $NAME; is port $PORT already in use? (set -var ${ENVIRONMENT}_port=N)"

waited=0
until fetch "$URL/healthz" >/dev/null 2>&1; do
	if [ "$waited" -ge "$((TIMEOUT * 2))" ]; then
		echo "--- docker logs $NAME" >&2
		docker logs "$NAME" >&2 || true
		die "$NAME did not answer $URL/healthz within ${TIMEOUT}s"
	fi
	sleep 0.5
	waited=$((waited + 1))
done

got="$(fetch "$URL/version")"
case "$got" in
*"\"version\":\"$VERSION\""*) ;;
*) die "$URL/version answered $got; want version $VERSION" ;;
esac
echo "$NAME is healthy at $URL: $got"
