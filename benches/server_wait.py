#!/usr/bin/env python3
"""How much of a run's wall is waiting for the server.

The server starts while the harness builds the venv, starts the worker, loads the revision
graph and plans; report.json's `timings` say how long the start took (`server_start_ms`) and
how much of it the run still waited for once everything else was ready (`server_wait_ms`).
Runs the repository's harness.toml (or --config) N times on each server and prints both
against the run's wall, as min/median/max.

  benches/server_wait.py [--runs N] [--scenario all] [--server container:migration-harness/mysql:9.7,local]

Not a test: nothing here asserts a time.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def stats(xs):
    return "min %6.2f  median %6.2f  max %6.2f" % (min(xs), statistics.median(xs), max(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scenario", default="all")
    ap.add_argument("--config", default=str(REPO / "harness.toml"))
    ap.add_argument("--server", default="container:migration-harness/mysql:9.7,local")
    ap.add_argument("--binary", help="a built harness (default: cargo build --release)")
    a = ap.parse_args()
    if a.binary:
        binary = Path(a.binary)
    else:
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=REPO, check=True)
        binary = REPO / "target/release/migration-harness"
    for server in a.server.split(","):
        mode, _, image = server.partition(":")
        flags = ["--db", mode] + (["--image", image] if image else [])
        rows = []
        with tempfile.TemporaryDirectory(prefix="mh-wait-") as out:
            for i in range(a.runs):
                t0 = time.perf_counter()
                r = subprocess.run([str(binary), "--config", a.config, "--scenario", a.scenario, "--format", "json", "--output-dir", out] + flags, capture_output=True, text=True, env=dict(os.environ, CI="1"))
                wall = time.perf_counter() - t0
                try:
                    t = json.loads((Path(out) / "report.json").read_text())["timings"]
                except (OSError, KeyError, ValueError):
                    print(f"  {server}: run {i + 1} wrote no report (exit {r.returncode}): {r.stderr.strip()[-300:]}")
                    continue
                rows.append((wall, t["server_start_ms"] / 1000, t["server_wait_ms"] / 1000))
        if not rows:
            continue
        print(f"\n## {server}, --scenario {a.scenario} ({len(rows)} runs)")
        print(f"  wall                 {stats([w for w, _, _ in rows])}")
        print(f"  server start         {stats([s for _, s, _ in rows])}")
        print(f"  waited for server    {stats([x for _, _, x in rows])}")
        print(f"  waited / wall        {stats([x / w for w, _, x in rows])}")
        print(f"  start / wall         {stats([s / w for w, s, _ in rows])}  (what a run that starts the server first would wait)")


if __name__ == "__main__":
    main()
