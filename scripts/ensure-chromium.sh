#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser test (functions/test/e2e):
# the only browser it uses, driven by playwright-core. Nothing is downloaded by a test tool; the
# browser comes from Debian's packages.
#   - Already there: does nothing.
#   - Missing, as root: `apt-get update` once, then `apt-get install -y chromium`.
#   - Missing, not root: tries the same through `sudo -n` (no password prompt); when that is not
#     possible it stops with the command to run, and the test run stops with it.
set -euo pipefail
CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "[setup] $CHROMIUM is missing and this user cannot install it (not root, no password-less sudo)." >&2
  echo "[setup] Install Debian's Chromium once as root, then run the tests again:" >&2
  echo "          apt-get update && apt-get install -y chromium" >&2
  exit 1
fi

echo "[setup] installing Debian's chromium for the browser test (apt-get)"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "[setup] apt-get installed chromium but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "[setup] $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
