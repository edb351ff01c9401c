#!/usr/bin/env bash
# Installs the Debian packages the tests drive besides Docker and
# PostgreSQL: chromium for the console's browser tests (engine/console,
# chromedp) and openssh-client for the signed-approval tests (ssh-keygen,
# ssh-agent). Idempotent: it installs only what is missing. Progress goes
# to stderr.
set -euo pipefail
missing=()
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
	missing+=(chromium)
fi
if ! command -v ssh-keygen >/dev/null 2>&1 || ! command -v ssh-agent >/dev/null 2>&1; then
	missing+=(openssh-client)
fi
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
echo "chromium.sh: installing ${missing[*]} with apt-get" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
