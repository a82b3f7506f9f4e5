#!/usr/bin/env bash
# The README's serve command: installs, builds, starts the emulators, seeds, serves the API at
# http://localhost:8080/api/v1 until Ctrl-C.
source "$(dirname "$0")/lib.sh"
ensure_installed
build_functions
cd "$ROOT"
exec node stack/serve.mjs "$@"
