#!/bin/sh
# smoke.sh checks a deployed webapp from outside its container: the home page
# answers and names the expected version. Environment: URL, VERSION.
set -eu

die() {
	echo "smoke.sh: $*" >&2
	exit 1
}

[ -n "${URL:-}" ] || die "URL is not set"
[ -n "${VERSION:-}" ] || die "VERSION is not set"

if command -v curl >/dev/null 2>&1; then
	page="$(curl -fsS --max-time 5 "$URL/")" || die "GET $URL/ failed"
else
	page="$(wget -q -T 5 -O - "$URL/")" || die "GET $URL/ failed"
fi
case "$page" in
*"webapp $VERSION "*) echo "smoke test passed: $page" ;;
*) die "GET $URL/ answered \"$page\"; want it to name version $VERSION" ;;
esac
