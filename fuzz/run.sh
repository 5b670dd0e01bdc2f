#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60) from the committed seeds, and prints
# libFuzzer's final `#N DONE` line (N = executions). A crash, a panic or a unit slower than
# 10 s fails the run; libFuzzer leaves the input in fuzz/artifacts/<target>/.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rrule_parse rule_iter api_bodies)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# Safe Rust only: AddressSanitizer would find nothing and halves the speed. Debug assertions
# on, so an arithmetic overflow is a crash here rather than a silently wrong answer.
flags=(--sanitizer none --debug-assertions)
cargo +nightly fuzz build "${flags[@]}"

for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    extra=()
    case "$t" in
        rrule_parse | api_bodies) extra=(-dict=dicts/rules.dict) ;;
    esac
    log="target/fuzz-$t.log"
    if ! cargo +nightly fuzz run "${flags[@]}" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "${extra[@]}" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: $t FAILED; reproduce with: cargo +nightly fuzz run ${flags[*]} $t fuzz/artifacts/$t/<file>" >&2
        exit 1
    fi
    echo "fuzz: $t $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)"
done
