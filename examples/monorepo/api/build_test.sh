#!/bin/sh
# build_test.sh runs build.sh into a scratch directory and checks its output.
# Each check is also written to dist/test-report.txt, which the pipeline's
# always() step prints and removes, whether the checks passed or not.
set -eu
here="$(pwd)"
mkdir -p "$here/dist"
report="$here/dist/test-report.txt"
: >"$report"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
VERSION=9.8.7 sh "$here/build.sh" >/dev/null
fail=0
check() {
	got="$(cat "dist/www/$1")"
	if [ "$got" != "$2" ]; then
		echo "FAIL: dist/www/$1 = $got; want $2" | tee -a "$report" >&2
		fail=1
	else
		echo "ok: dist/www/$1" | tee -a "$report"
	fi
}
check healthz ok
check version '{"service":"api","version":"9.8.7"}'
exit "$fail"
