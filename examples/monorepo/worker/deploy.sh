#!/bin/sh
# deploy.sh replaces the worker container of one environment with the
# release's image and waits for its first heartbeat. Environment: APP,
# ENVIRONMENT, IMAGE, VERSION. Needs the docker CLI on the host.
set -eu
die() { echo "deploy.sh: $*" >&2; exit 1; }
for v in APP ENVIRONMENT IMAGE VERSION; do
	eval "val=\${$v:-}"
	[ -n "$val" ] || die "$v is not set; the rollout step must pass it in env"
done
NAME="$APP-worker-$ENVIRONMENT"
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" -e INTERVAL=1 \
	--label dev.pipeline.example=monorepo \
	--label "dev.pipeline.example.app=$APP" \
	--label "dev.pipeline.example.environment=$ENVIRONMENT" \
	--label "dev.pipeline.example.version=$VERSION" \
	"$IMAGE" >/dev/null || die "docker run failed for $NAME"
i=0
until docker logs "$NAME" 2>&1 | grep -q "worker $VERSION heartbeat"; do
	i=$((i + 1))
	[ "$i" -lt 20 ] || { docker logs "$NAME" >&2; die "$NAME sent no heartbeat within 10s"; }
	sleep 0.5
done
echo "$NAME is running version $VERSION"
