#!/bin/sh
# build.sh renders the api's static site into dist/www for release $VERSION.
set -eu
[ -n "${VERSION:-}" ] || { echo "build.sh: VERSION is not set" >&2; exit 1; }
rm -rf dist/www
mkdir -p dist/www
printf 'ok\n' >dist/www/healthz
printf '{"service":"api","version":"%s"}\n' "$VERSION" >dist/www/version
printf '<h1>api %s</h1>\n' "$VERSION" >dist/www/index.html
echo "built dist/www for api $VERSION"
