#!/usr/bin/env bash
# Issue 10's measure: a generated 55-revision golang-migrate chain, timed three ways on one
# local server binary in the same session —
#   all        the seven scenarios `--scenario all` ran before round trips existed
#   clone      `--scenario round-trip` (parent states cloned from a spine database)
#   rebuild    the same trips with every parent state upgraded from clean
# Prints medians of RUNS runs (default 3) and the ratios against `all`.
#   benches/round_trips.sh [RUNS] [BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
BIN="${2:-target/debug/migration-harness}"
[ -x "$BIN" ] || cargo build --quiet
N=55
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/migrations" "$WORK/scenarios"
table=0
for i in $(seq 1 $N); do
  v=$(printf '%06d' "$i")
  if [ $(( (i - 1) % 5 )) -eq 0 ]; then
    table=$i
    echo "CREATE TABLE t$table (id INT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL, state ENUM('a','b') NOT NULL DEFAULT 'a');" > "$WORK/migrations/${v}_t$table.up.sql"
    echo "DROP TABLE t$table;" > "$WORK/migrations/${v}_t$table.down.sql"
  else
    printf 'ALTER TABLE t%s ADD COLUMN c%s VARCHAR(30) NULL;\nCREATE INDEX ix_c%s ON t%s (c%s);\n' "$table" "$i" "$i" "$table" "$i" > "$WORK/migrations/${v}_c$i.up.sql"
    printf 'DROP INDEX ix_c%s ON t%s;\nALTER TABLE t%s DROP COLUMN c%s;\n' "$i" "$table" "$table" "$i" > "$WORK/migrations/${v}_c$i.down.sql"
  fi
done
cat > "$WORK/harness.toml" <<TOML
[migrations]
tool = "sqldir"
format = "golang-migrate"
dir = "migrations"
TOML
cat > "$WORK/scenarios/rebuild.toml" <<'TOML'
id = "round-trip-rebuild"
title = "Round trips, parent states rebuilt from clean"
summary = "round trips with parent = rebuild"
start = "empty"
[[steps]]
action = "round_trips"
parent = "rebuild"
TOML

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
time_it() { # name, scenarios
  for _ in $(seq 1 "$RUNS"); do
    local start end
    start=$(date +%s%N)
    "$BIN" --config "$WORK/harness.toml" --db local --scenario "$2" --format json --output-dir "$WORK/out-$1" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    jq -e '[.scenarios[].status] | all(. != "error")' "$WORK/out-$1/report.json" >/dev/null \
      || { echo "$1: a scenario ended in error" >&2; exit 1; }
    echo $(( (end - start) / 1000000 )) >> "$WORK/$1.ms"
  done
}
time_it all chain,upgrade,idempotency,downgrade,reproduce-error,reapply,verify-head
time_it clone round-trip
time_it rebuild round-trip-rebuild
base=$(median < "$WORK/all.ms")
printf '%-8s %10s %7s\n' config wall_ms ratio
for c in all clone rebuild; do
  m=$(median < "$WORK/$c.ms")
  printf '%-8s %10s %7s\n' "$c" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN {printf "%.2f", a/b}')"
done
echo "($N revisions, medians of $RUNS runs, $BIN, --db local)"
