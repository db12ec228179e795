#!/usr/bin/env bash
# Times `--scenario all` on the seed example, each configuration N times (default 3), and
# prints medians with the ratio against the baseline configuration (sequential, --jobs 1,
# local server) run side by side in the same session. Also splits the wall time into server
# start, tool processes and the harness itself (from report.json timings).
#   benches/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
IMAGE="${MH_TEST_IMAGE:-migration-harness/mariadb:10.11}"
cargo build --release --locked --quiet
BIN=target/release/migration-harness
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

run_config() { # name, args...
  local name=$1; shift
  for i in $(seq 1 "$RUNS"); do
    local dir="$OUT/$name-$i" start end
    start=$(date +%s%N)
    "$BIN" --scenario all --format json --output-dir "$dir" "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000000 )) $(jq -r '[.timings.server_start_ms, .timings.tool_ms, .timings.harness_ms] | @tsv' "$dir/report.json")" >> "$OUT/$name.tsv"
  done
}

run_config baseline-local-jobs1 --db local --jobs 1
run_config local --db local
run_config container --db container --image "$IMAGE"
run_config container-jobs1 --db container --image "$IMAGE" --jobs 1

base=$(cut -d' ' -f1 "$OUT/baseline-local-jobs1.tsv" | median)
printf '%-22s %10s %8s %14s %10s %12s\n' config wall_ms ratio server_start_ms tool_ms harness_ms
for name in baseline-local-jobs1 local container-jobs1 container; do
  wall=$(cut -d' ' -f1 "$OUT/$name.tsv" | median)
  srv=$(awk '{print $2}' "$OUT/$name.tsv" | median)
  tool=$(awk '{print $3}' "$OUT/$name.tsv" | median)
  har=$(awk '{print $4}' "$OUT/$name.tsv" | median)
  ratio=$(awk -v a="$wall" -v b="$base" 'BEGIN {printf "%.2f", a/b}')
  printf '%-22s %10s %8s %14s %10s %12s\n' "$name" "$wall" "$ratio" "$srv" "$tool" "$har"
done
echo "(medians of $RUNS runs; tool_ms sums tool processes across concurrent scenarios)"
