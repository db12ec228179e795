#!/usr/bin/env bash
# The cost of the online-DDL probes: `--scenario all` on every example and fixture chain,
# with `[scenarios] online_ddl = "off"` and with the default (`warn`, no `[production]`),
# interleaved run by run in the same session on one local server binary. Prints each
# project's medians and ratio (on / off), then the min / median / max ratio over projects.
#   benches/online_ddl.sh [RUNS] [BIN]
# MH_BENCH_PROJECTS="a/harness.toml b/harness.toml" limits it to those configs.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
BIN="${2:-target/debug/migration-harness}"
[ -x "$BIN" ] || cargo build --quiet
OUT=$(mktemp -d)
COPIES=()
cleanup() { rm -rf "$OUT"; for c in "${COPIES[@]}"; do rm -f "$c"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The matrix example runs three servers per invocation: it would time the matrix, not this.
if [ -n "${MH_BENCH_PROJECTS:-}" ]; then
  read -r -a PROJECTS <<< "$MH_BENCH_PROJECTS"
else
  PROJECTS=(harness.toml)
  for f in examples/*/harness.toml tests/fixtures/*/harness.toml tests/fixtures/*/*/harness.toml \
           tests/fixtures/*/*/*/harness.toml; do
    [ -f "$f" ] && [ "$f" != examples/uuid-matrix/harness.toml ] && PROJECTS+=("$f")
  done
fi

# A copy beside the original (paths stay relative to it) with the check off.
off_copy() {
  local cfg=$1 copy
  copy="$(dirname "$cfg")/.harness.bench-off.toml"
  if grep -q '^\[scenarios\]' "$cfg"; then
    sed 's/^\[scenarios\]$/[scenarios]\nonline_ddl = "off"/' "$cfg" > "$copy"
  else
    { cat "$cfg"; printf '\n[scenarios]\nonline_ddl = "off"\n'; } > "$copy"
  fi
  echo "$copy"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
time_ms() { # config → wall ms of one `--scenario all`
  local start end
  start=$(date +%s%N)
  "$BIN" --config "$1" --db local --scenario all --format json --output-dir "$OUT/run" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

printf '%-52s %9s %9s %6s\n' project off_ms on_ms ratio
for cfg in "${PROJECTS[@]}"; do
  off=$(off_copy "$cfg")
  COPIES+=("$off") # recorded here: off_copy runs in a subshell
  key=$(echo "$cfg" | tr '/' '_')
  for _ in $(seq 1 "$RUNS"); do
    time_ms "$off" >> "$OUT/$key.off"
    time_ms "$cfg" >> "$OUT/$key.on"
  done
  a=$(median < "$OUT/$key.off")
  b=$(median < "$OUT/$key.on")
  r=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b/a}')
  echo "$r" >> "$OUT/ratios"
  printf '%-52s %9s %9s %6s\n' "$cfg" "$a" "$b" "$r"
done
sort -n "$OUT/ratios" | awk '{a[NR]=$1} END {printf "ratio on/off over %d projects: min %.3f  median %.3f  max %.3f\n", NR, a[1], (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2, a[NR]}'
echo "(medians of $RUNS interleaved runs each, $BIN, --db local, no [production])"
