#!/usr/bin/env bash
# Build newsletter.wasm, a Wasm component for sgsched's `job-plugin` world, from app.js.
#
#   ./build.sh                 # writes newsletter.wasm next to this script
#   ./build.sh out/plugin.wasm # writes it there instead
#
# Needs Node.js and npm; installs the pinned componentize-js (package-lock.json) with `npm ci`
# when node_modules is absent. Works from any directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
wit="$here/../../wit"
out="${1:-$here/newsletter.wasm}"
componentize="$here/node_modules/@bytecodealliance/componentize-js/src/cli.js"

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build.sh: $tool not found on PATH; Node.js 20 or later with npm is needed." >&2
        echo "  install it with e.g.: apt-get install nodejs npm" >&2
        exit 1
    fi
done
# componentize-js's parser (oxc-parser) and CLI (commander) need Node.js 20.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "build.sh: Node.js $(node --version) is too old; componentize-js needs 20 or later." >&2
    exit 1
fi
if [ ! -f "$wit/scheduler.wit" ]; then
    echo "build.sh: WIT contract not found at $wit/scheduler.wit" >&2
    exit 1
fi
if [ ! -d "$here/node_modules" ]; then
    echo "build.sh: installing the pinned npm packages (npm ci)" >&2
    if ! npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >&2; then
        echo "build.sh: npm ci failed; run it yourself: npm ci --prefix '$here'" >&2
        exit 1
    fi
fi
if [ ! -f "$componentize" ]; then
    echo "build.sh: componentize-js is missing from $here/node_modules" >&2
    echo "  reinstall the pinned packages with: rm -rf '$here/node_modules' && npm ci --prefix '$here'" >&2
    exit 1
fi

mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
# The host links WASI 0.2 (stdio, clocks, random, an empty filesystem) but not wasi:http, so the
# engine's fetch support is left out; everything else the world needs comes from the WIT.
# Run from this directory: componentize-js 0.23 maps the source's directory into the engine
# relative to the working directory and gets it wrong for some (e.g. `/`).
cd "$here"
node "$componentize" app.js --wit "$wit" --world-name job-plugin \
    --disable http fetch-event --out "$out"
echo "built $out ($(wc -c <"$out" | tr -d ' ') bytes)"
