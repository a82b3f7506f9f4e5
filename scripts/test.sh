#!/usr/bin/env bash
# The README's test command: installs, typechecks, builds and runs every test. The test setup
# starts the official emulators itself (stack/emulators.mjs) unless the environment points at
# running ones.
source "$(dirname "$0")/lib.sh"
ensure_installed
build_functions
cd "$ROOT/functions"
npx tsc -p tsconfig.json --noEmit
bash "$ROOT/scripts/ensure-chromium.sh" # Debian's chromium for the browser test, installed where missing
npx vitest run "$@"
# The client package (client/): its types against the API's document, the spec's workflows and the
# offline scenarios on a served stack. A run given vitest arguments is a filtered functions run.
if [ $# -eq 0 ]; then (cd "$ROOT" && npm test -w @montu/client); fi
