#!/usr/bin/env bash
# `--partition`'s measure: the wall time of each of 2 partitions against the whole run, on the
# longest chain the tests use — the generated 55-revision golang-migrate chain of
# benches/round_trips.sh (11 tables; every revision sends two statements, so round trips,
# crash-resume and online-DDL probes all have work) — with `--scenario all` on one local
# server binary. The three configurations alternate (whole, 1/2, 2/2, whole, …) so a
# machine's slow minute hits them alike; prints min/median/max of RUNS runs (default 3) and
# each partition's median against the whole run's. Also checks that the merged partitions
# give the whole run's findings.
#   benches/partition.sh [RUNS] [BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
BIN="${2:-target/debug/migration-harness}"
[ -x "$BIN" ] || cargo build --quiet
BIN=$(realpath "$BIN")
N=55
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/migrations"
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
printf '[migrations]\ntool = "sqldir"\nformat = "golang-migrate"\ndir = "migrations"\n' > "$WORK/harness.toml"

run() { # name, run index, extra args...
  local name=$1 i=$2 start end
  shift 2
  start=$(date +%s%N)
  "$BIN" --config "$WORK/harness.toml" --db local --scenario all --format json \
    --output-dir "$WORK/$name-$i" "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  jq -e '[.scenarios[].status] | all(. != "error")' "$WORK/$name-$i/report.json" >/dev/null \
    || { echo "$name: a scenario ended in error" >&2; exit 1; }
  echo $(( (end - start) / 1000000 )) >> "$WORK/$name.ms"
}
for i in $(seq 1 "$RUNS"); do
  run whole "$i"
  run p1 "$i" --partition 1/2
  run p2 "$i" --partition 2/2
done
"$BIN" merge "$WORK/p1-1" "$WORK/p2-1" --format json --output-dir "$WORK/merged" > "$WORK/merge.log" 2>&1 \
  || [ -f "$WORK/merged/report.json" ] || { cat "$WORK/merge.log" >&2; exit 1; }
if [ "$(jq -c .findings "$WORK/merged/report.json")" = "$(jq -c .findings "$WORK/whole-1/report.json")" ]; then
  echo "merged findings: identical to the whole run's ($(jq '.findings | length' "$WORK/whole-1/report.json"))"
else
  echo "merged findings DIFFER from the whole run's" >&2
  exit 1
fi

stats() { sort -n "$WORK/$1.ms" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:int((a[NR/2]+a[NR/2+1])/2); print a[1], m, a[NR]}'; }
read -r _ base _ <<< "$(stats whole)"
printf '%-8s %8s %8s %8s %7s\n' config min_ms med_ms max_ms ratio
for c in whole p1 p2; do
  read -r lo med hi <<< "$(stats "$c")"
  printf '%-8s %8s %8s %8s %7s\n' "$c" "$lo" "$med" "$hi" "$(awk -v a="$med" -v b="$base" 'BEGIN {printf "%.2f", a/b}')"
done
echo "($N revisions, $RUNS alternated runs each, $BIN, --db local, --scenario all)"
