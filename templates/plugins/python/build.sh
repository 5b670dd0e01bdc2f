#!/usr/bin/env bash
# Build {{name}}.wasm from app.py: ./build.sh [OUT.wasm]. Needs componentize-py
# (pip install -r requirements.txt).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/{{name}}.wasm}"
command -v componentize-py >/dev/null || { echo "build.sh: pip install -r '$here/requirements.txt'" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
componentize-py -d "$here/wit" -w job-plugin componentize -p "$here" app -o "$out"
