#!/usr/bin/env bash
# Runs a command with the project's packages installed and its Node 24 on PATH.
source "$(dirname "$0")/lib.sh"
ensure_installed
cd "$ROOT"
exec "$@"
