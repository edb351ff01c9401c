#!/bin/sh
# build_test.sh runs build.sh into a scratch directory and checks its output.
set -eu
here="$(pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
VERSION=9.8.7 sh "$here/build.sh" >/dev/null
fail=0
check() {
	got="$(cat "dist/www/$1")"
	if [ "$got" != "$2" ]; then
		echo "FAIL: dist/www/$1 = $got; want $2" >&2
		fail=1
	else
		echo "ok: dist/www/$1"
	fi
}
check healthz ok
check version '{"service":"api","version":"9.8.7"}'
exit "$fail"
