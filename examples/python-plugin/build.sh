#!/usr/bin/env bash
# Build social_post.wasm, a Wasm component for sgsched's `job-plugin` world, from app.py.
#
#   ./build.sh                 # writes social_post.wasm next to this script
#   ./build.sh out/plugin.wasm # writes it there instead
#
# Needs componentize-py (pip install -r requirements.txt). Works from any directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
wit="$here/../../wit"
out="${1:-$here/social_post.wasm}"

if ! command -v componentize-py >/dev/null 2>&1; then
    echo "build.sh: componentize-py not found on PATH." >&2
    echo "  install it with: pip install -r '$here/requirements.txt'" >&2
    exit 1
fi
if [ ! -f "$wit/scheduler.wit" ]; then
    echo "build.sh: WIT contract not found at $wit/scheduler.wit" >&2
    exit 1
fi

mkdir -p "$(dirname "$out")"
# The bindings (wit_world, componentize_py_types) are generated into the build on the fly;
# -p adds this directory to the module path so `app` is found.
componentize-py -d "$wit" -w job-plugin componentize -p "$here" app -o "$out"
echo "built $out ($(wc -c <"$out" | tr -d ' ') bytes)"
