#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) and prints executions and crashes per target.
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); the stable toolchain works with
# RUSTC_BOOTSTRAP=1. Two targets run at a time (this machine has two cores).
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(pem_keys pkcs12 kdf_params token_response config www_authenticate)
fi
export RUSTC_BOOTSTRAP=1
mkdir -p logs
cargo fuzz build -O >/dev/null
run() {
    local target=$1
    mkdir -p "corpus/$target"
    cp -n "seeds/$target"/* "corpus/$target/" 2>/dev/null || true
    cargo fuzz run -O "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 \
        >"logs/$target.log" 2>&1 || true
    local execs crashes
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "logs/$target.log" | grep -oE '[0-9]+$' || echo "?")
    crashes=$(ls "artifacts/$target" 2>/dev/null | wc -l)
    echo "$target: $execs executions in ${seconds}s, $crashes crash artifacts"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" &
    if (( i + 1 < ${#targets[@]} )); then run "${targets[i + 1]}" & fi
    wait
done
