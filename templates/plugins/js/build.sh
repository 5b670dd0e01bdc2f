#!/usr/bin/env bash
# Build {{name}}.wasm from app.js: ./build.sh [OUT.wasm]. Needs Node.js 20+ and npm; installs the
# pinned componentize-js (package-lock.json) with `npm ci` when node_modules is absent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/{{name}}.wasm}"
command -v node >/dev/null || { echo "build.sh: Node.js 20 or later is needed" >&2; exit 1; }
[ -d "$here/node_modules" ] || npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >&2
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
# componentize-js resolves the source against the working directory: build from here.
cd "$here"
node node_modules/@bytecodealliance/componentize-js/src/cli.js app.js --wit wit \
    --world-name job-plugin --disable http fetch-event --out "$out"
