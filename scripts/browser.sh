#!/usr/bin/env bash
# Debian's Chromium, for the tests that open pages in a real browser (make test). The package
# itself needs no browser: only its page tests do.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "mlanim setup: the page tests need Chromium; install it with your package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "mlanim setup: installing chromium with apt-get (for the page tests)" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
