#!/usr/bin/env bash
# The same suite under the official emulators (needs Java 21+ and the emulator downloads):
# firebase emulators:exec sets FIRESTORE_EMULATOR_HOST and friends, so the tests use them, and
# the security-rules tests run instead of being skipped.
source "$(dirname "$0")/lib.sh"
ensure_installed
build_functions
cd "$ROOT"
exec firebase emulators:exec --project demo-montu --only auth,firestore,storage "cd functions && npx vitest run $*"
