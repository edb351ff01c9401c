#!/usr/bin/env bash
# scripts/demo.sh: the README's first command (`make demo`, which runs
# `make build image` first). It runs the webapp example's pipeline from this
# repository with the default SQLite state (.pipeline/state.db at the
# repository root):
#
#   1. validate the example's config;
#   2. pipeline run: build, test, package (binary artifact and Docker image),
#      deploy to internal and beta, and stop at the production gate (exit 3);
#   3. show what internal and beta answer on their ports;
#   4. approve the gate as the commit author, resume, and show production;
#   5. print `pipeline status`.
#
# Environment: PIPELINE_BIN (default bin/pipeline). The example's containers
# keep running afterwards; the last lines say how to remove them.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BIN="${PIPELINE_BIN:-$ROOT/bin/pipeline}"
SHOW_BIN="${PIPELINE_BIN:-bin/pipeline}" # how the closing hints name the binary
DIR=examples/webapp
PORTS=(internal:18081 beta:18082 production:18083)

bold() { if [ -t 1 ]; then printf '\n\033[1m==> %s\033[0m\n' "$*"; else printf '\n==> %s\n' "$*"; fi; }
die() {
	echo "demo.sh: $*" >&2
	exit 1
}

# The webapp's build and test steps run on the host (runner = "local").
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="$PATH:/usr/local/go/bin"
fi
[ -x "$BIN" ] || die "$BIN is missing; run 'make build' (or 'make demo', which builds it)"
for tool in docker git go; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is not on PATH; the webapp example needs it"
done
command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1 || die "neither curl nor wget is installed"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer; start dockerd"
git rev-parse --git-dir >/dev/null 2>&1 || die "$ROOT is not a git repository; the pipeline versions releases by git history"

[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "tracked files are modified (see git status); a run from such a tree creates no release and deploys nowhere: commit or stash the changes first"

branch="$(git rev-parse --abbrev-ref HEAD)"
if [ "$branch" != main ]; then
	echo "note: you are on branch '$branch'; production only accepts releases built from main, so the demo will stop before production."
fi

fetch() {
	if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 2 "$1"; else wget -q -T 2 -O - "$1"; fi
}

show_ports() {
	local entry env port
	for entry in "${PORTS[@]}"; do
		env="${entry%%:*}" port="${entry##*:}"
		printf '  %-11s http://127.0.0.1:%s/version  ->  %s\n' "$env" "$port" "$(fetch "http://127.0.0.1:$port/version" 2>/dev/null || echo '(not deployed)')"
	done
}

bold "pipeline validate -C $DIR"
"$BIN" validate -C "$DIR"

# Releases are immutable: a second demo on the same commit would try to
# create the same version again, which the engine refuses. Say so instead.
# On the first demo there is no state store yet: nothing to ask (asking
# would print "no state store" before the demo even starts).
version="$("$BIN" plan -C "$DIR" | sed -n 's/^Version: *//p' | head -n 1)"
has_state() { [ -n "${PIPELINE_STATE:-}" ] || [ -f "$(git rev-parse --show-toplevel)/.pipeline/state.db" ]; }
if [ -n "$version" ] && has_state && "$BIN" releases -C "$DIR" --json | grep -q "\"version\": *\"$version\""; then
	bold "release webapp $version of this commit already exists"
	echo "Releases are immutable, so the demo does not run this commit again. Commit a change"
	echo "to cut a new release (then 'pipeline rollback production' has a target), or remove"
	echo "$(git rev-parse --show-toplevel)/.pipeline to start over. Where things stand:"
	show_ports
	bold "pipeline status -C $DIR"
	"$BIN" status -C "$DIR"
	exit 0
fi

bold "pipeline run -C $DIR"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
set +e
"$BIN" run -C "$DIR" 2>&1 | tee "$out"
code="${PIPESTATUS[0]}"
set -e
case "$code" in
3) ;;
0)
	bold "the run finished without stopping at a gate"
	show_ports
	bold "pipeline status"
	"$BIN" status -C "$DIR"
	exit 0
	;;
*) die "pipeline run exited $code; see the output above" ;;
esac

run_id="$(sed -n 's/^[Rr]un \([^ ]*\) .*/\1/p' "$out" | head -n 1)"
[ -n "$run_id" ] || die "could not find the run id in the output of pipeline run"

bold "internal and beta are live; production waits at the go-live gate"
show_ports

approver="$(git log -1 --format=%ae)"
bold "pipeline approve $run_id go-live --as $approver   (the gate admits the commit author)"
"$BIN" approve -C "$DIR" "$run_id" go-live --as "$approver"

bold "pipeline resume $run_id"
"$BIN" resume -C "$DIR" "$run_id"
show_ports

bold "pipeline status -C $DIR"
"$BIN" status -C "$DIR"

cat <<EOT

Next steps:
  $SHOW_BIN history -C $DIR --env production --limit 5   the latest deployments to production
  $SHOW_BIN rollback production -C $DIR    bring back the previous release (after a second release)
  docker rm -f \$(docker ps -aq --filter label=dev.pipeline.example=webapp)   remove the demo's containers
EOT
