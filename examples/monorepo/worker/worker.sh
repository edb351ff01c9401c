#!/bin/sh
# worker.sh is the worker component: it takes jobs from nowhere in particular
# and reports a heartbeat with its version every INTERVAL seconds.
set -eu
VERSION="$(cat /etc/worker-version)"
echo "worker $VERSION started"
trap 'echo "worker $VERSION stopping"; exit 0' TERM INT
n=0
while :; do
	n=$((n + 1))
	echo "worker $VERSION heartbeat $n"
	sleep "${INTERVAL:-2}" &
	wait $!
done
