#!/usr/bin/env bash
# The generated 123-revision Django chain's `--scenario all`, side by side: the warm Django
# worker (tool = "django") and command templates (one `manage.py migrate` process per step),
# RUNS alternated pairs (default 3) on local servers; prints min/median/max wall seconds of
# each and the ratio of the medians.
#   benches/django_chain.sh [RUNS] [REVISIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
N="${2:-123}"
# MH_BIN: an already built binary (both sides of the comparison use the same one).
if [ -z "${MH_BIN:-}" ]; then
  cargo build --release --locked --quiet
fi
BIN="${MH_BIN:-$PWD/target/release/migration-harness}"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
python3 benches/django_chain.py "$OUT/project" "$N"
"$BIN" prepare --config "$OUT/project/harness.toml" >/dev/null

one() { # name config
  local start end
  start=$(date +%s%N)
  "$BIN" --config "$OUT/project/$2" --db local --scenario all --format json \
    --output-dir "$OUT/$1-$i" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 ))" >> "$OUT/$1.ms"
  echo "run $i $1: $(( (end - start) / 1000000 )) ms, status $(jq -r .status "$OUT/$1-$i/report.json")" >&2
}

for i in $(seq 1 "$RUNS"); do
  one worker harness.toml
  one command harness.command.toml
done

python3 - "$OUT" <<'PY'
import statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
rows = {}
for name in ("worker", "command"):
    ms = [int(x) for x in (out / (name + ".ms")).read_text().split()]
    rows[name] = ms
    print("%-8s min %7.1f s  median %7.1f s  max %7.1f s  (%s)" % (
        name, min(ms) / 1e3, statistics.median(ms) / 1e3, max(ms) / 1e3,
        ", ".join("%.1f" % (m / 1e3) for m in ms)))
w, c = rows["worker"], rows["command"]
print("worker / command: median %.3f×  (best pair %.3f×, worst pair %.3f×)" % (
    statistics.median(w) / statistics.median(c),
    min(a / b for a, b in zip(w, c)), max(a / b for a, b in zip(w, c))))
PY
