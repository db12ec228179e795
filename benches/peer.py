#!/usr/bin/env python3
"""Peer benchmark: migration-harness beside pytest-alembic on the same chain and server.

One throwaway mariadbd (same settings for both, datadir in /dev/shm when there), one venv
with the pinned tools plus pytest-alembic, runs alternated (harness, pytest, harness, ...)
so machine noise hits both alike. Prints wall and CPU (process tree, server excluded) as
min/median/max and the harness/pytest-alembic ratios of the medians.

  benches/peer.py [--runs N] [--sizes 100,200] [--seeds flask,alembic] [--full-chain]

Cases: the seed chain as the repository's harness.toml runs it (Flask-Migrate, production
drift, `--scenario all`: 11 scenarios) and through plain Alembic (examples/seed-alembic),
each beside pytest-alembic's four built-in tests on the same revisions; generated
N-revision chains (`--scenario chain`, and with --full-chain also `--scenario all`, vs the
same four tests). Not a test: nothing here asserts a time.
"""
import argparse
import hashlib
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "migration-harness"
FLAGS = ["--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0", "--innodb-doublewrite=OFF"]


def venv():
    req = REPO / "benches/requirements-peer.txt"
    key = hashlib.sha256(req.read_bytes() + (REPO / "requirements.txt").read_bytes()).hexdigest()[:16]
    d = CACHE / "bench-peer" / key
    py = d / "bin/python"
    if not (d / ".complete").exists():
        shutil.rmtree(d, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(d)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(req)], check=True, cwd=req.parent)
        (d / ".complete").write_text(key)
    return py


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root):
    binary = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    data = root / "data"
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal", "--skip-test-db", f"--tmpdir={root}"] + user, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    proc = subprocess.Popen([binary, "--no-defaults", f"--datadir={data}", f"--socket={root}/sock", f"--port={port}", "--bind-address=127.0.0.1", "--skip-log-bin", f"--tmpdir={root}", "--innodb-buffer-pool-size=64M"] + FLAGS + user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(0.3)
                return proc, port
        time.sleep(0.1)
    raise SystemExit("mariadbd did not start")




def generate_chain(root, n):
    """n revisions: each creates a table and indexes it; downgrades drop them."""
    (root / "migrations/versions").mkdir(parents=True)
    shutil.copy(REPO / "examples/seed-alembic/alembic.ini", root / "alembic.ini")
    ini = (root / "alembic.ini").read_text().replace("version_locations = %(here)s/../flask-seed/migrations/versions\n", "")
    (root / "alembic.ini").write_text(ini)
    # The seed project's env.py: models from ../models.py, pytest-alembic's connection or $DATABASE_URL.
    shutil.copy(REPO / "examples/seed-alembic/migrations/env.py", root / "migrations/env.py")
    models = ["import sqlalchemy as sa", "metadata = sa.MetaData()"]
    prev = None
    for i in range(1, n + 1):
        rev = "r%04d" % i
        (root / "migrations/versions" / f"{rev}.py").write_text(
            f'"""revision {i}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f'revision = "{rev}"\ndown_revision = {prev!r}\nbranch_labels = None\ndepends_on = None\n\n\n'
            f"def upgrade():\n    op.create_table('t{i}', sa.Column('id', sa.Integer, primary_key=True), sa.Column('v', sa.String(50)))\n"
            f"    op.create_index('ix_t{i}_v', 't{i}', ['v'])\n\n\n"
            f"def downgrade():\n    op.drop_index('ix_t{i}_v', table_name='t{i}')\n    op.drop_table('t{i}')\n"
        )
        models.append(f"sa.Table('t{i}', metadata, sa.Column('id', sa.Integer, primary_key=True), sa.Column('v', sa.String(50)), sa.Index('ix_t{i}_v', 'v'))")
        prev = rev
    (root / "models.py").write_text("\n".join(models) + "\n")
    (root / "harness.toml").write_text('[migrations]\ntool = "alembic"\n')
    return root


CONFTEST = '''import os, uuid
import pytest
import sqlalchemy as sa
from pytest_alembic.config import Config

@pytest.fixture
def alembic_config():
    return Config(config_options={"file": os.environ["PEER_INI"]})

@pytest.fixture
def alembic_engine():
    server = os.environ["PEER_SERVER"]
    name = "peer_" + uuid.uuid4().hex[:10]
    root = sa.create_engine(server)
    with root.connect() as c:
        c.exec_driver_sql("CREATE DATABASE " + name)
    engine = sa.create_engine(server + name, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()
    with root.connect() as c:
        c.exec_driver_sql("DROP DATABASE " + name)
    root.dispose()
'''

TESTS = "from pytest_alembic.tests import test_single_head_revision, test_upgrade, test_model_definitions_match_ddl, test_up_down_consistency  # noqa\n"


def timed(cmd, env, cwd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.returncode, r.stdout


def stats(xs):
    return "min %6.2f  median %6.2f  max %6.2f" % (min(xs), statistics.median(xs), max(xs))


def case(name, project, scenario, runs, py, port, work, config=None):
    """`project` holds the alembic.ini pytest-alembic runs; `config` the harness.toml (the
    project's own by default)."""
    tests = work / f"pytest-{name}"
    tests.mkdir()
    (tests / "conftest.py").write_text(CONFTEST)
    (tests / "test_migrations.py").write_text(TESTS)
    env = dict(os.environ, MH_PYTHON=str(py), PEER_INI=str(project / "alembic.ini"), PEER_SERVER=f"mysql+pymysql://root@127.0.0.1:{port}/", CI="1")
    config = config or project / "harness.toml"
    harness = [str(REPO / "target/release/migration-harness"), "--config", str(config), "--db", "url", "--database-url", f"mysql://root@127.0.0.1:{port}/", "--scenario", scenario, "--output-dir", str(work / f"report-{name}-{scenario}")]
    pytest = [str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)]
    res = {"harness": [], "pytest-alembic": []}
    codes = {}
    for _ in range(runs):
        for tool, cmd in (("harness", harness), ("pytest-alembic", pytest)):
            wall, cpu, code, out = timed(cmd, env, project)
            res[tool].append((wall, cpu))
            codes[tool] = (code, out.strip().splitlines()[-1] if out.strip() else "")
    print(f"\n## {name}  ({runs} alternating runs each; harness `--scenario {scenario}` vs pytest-alembic's 4 built-in tests)")
    for tool in res:
        walls = [w for w, _ in res[tool]]
        cpus = [c for _, c in res[tool]]
        print(f"  {tool:15s} wall {stats(walls)}   cpu {stats(cpus)}   last exit {codes[tool][0]}: {codes[tool][1][:90]}")
    hw = statistics.median(w for w, _ in res["harness"])
    pw = statistics.median(w for w, _ in res["pytest-alembic"])
    hc = statistics.median(c for _, c in res["harness"])
    pc = statistics.median(c for _, c in res["pytest-alembic"])
    print(f"  ratio harness/pytest-alembic of the medians: wall {hw / pw:.2f}x  cpu {hc / pc:.2f}x")
    # Each pair ran back to back: its own ratio sees the same machine load.
    pairs = list(zip(res["harness"], res["pytest-alembic"]))
    print(f"  per-pair ratios: wall {stats([h[0] / p[0] for h, p in pairs])}   cpu {stats([h[1] / p[1] for h, p in pairs])}")
    return hw


def growth(a, work, port, py):
    """The harness alone on each generated chain, the sizes alternated run by run, so each
    round's ratio sees one machine load."""
    sizes = [int(x) for x in a.sizes.split(",") if x]
    projects = {n: generate_chain(work / f"chain{n}", n) for n in sizes}
    env = dict(os.environ, MH_PYTHON=str(py), CI="1")
    scenarios = ["chain", "all"] if a.full_chain else ["chain"]
    for scenario in scenarios:
        res = {n: [] for n in sizes}
        for _ in range(a.runs):
            for n in sizes:
                cmd = [str(REPO / "target/release/migration-harness"), "--config", str(projects[n] / "harness.toml"), "--db", "url", "--database-url", f"mysql://root@127.0.0.1:{port}/", "--scenario", scenario, "--output-dir", str(work / f"report-{n}-{scenario}")]
                wall, cpu, code, out = timed(cmd, env, projects[n])
                res[n].append((wall, cpu, code))
        print(f"\n## harness `--scenario {scenario}` on generated chains ({a.runs} rounds, sizes alternated)")
        for n in sizes:
            print(f"  {n:4d} revisions  wall {stats([w for w, _, _ in res[n]])}   cpu {stats([c for _, c, _ in res[n]])}   exits {[c for _, _, c in res[n]]}")
        for lo, hi in zip(sizes, sizes[1:]):
            walls = [h[0] / l[0] for l, h in zip(res[lo], res[hi])]
            cpus = [h[1] / l[1] for l, h in zip(res[lo], res[hi])]
            print(f"  growth {lo} → {hi}: per-round wall {stats(walls)}   cpu {stats(cpus)}   (linear would be {hi / lo:.2f}x)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="100,200")
    ap.add_argument("--seeds", default="flask,alembic", help="seed cases to run: flask (the repository's harness.toml), alembic; empty for none")
    ap.add_argument("--skip-seed", action="store_true", help="same as --seeds ''")
    ap.add_argument("--full-chain", action="store_true", help="also run `--scenario all` on each generated chain")
    ap.add_argument("--no-build", action="store_true", help="use target/release as it is")
    ap.add_argument("--growth-only", action="store_true", help="only the harness on the generated chains, sizes alternated, each pair's ratio")
    a = ap.parse_args()
    seeds = [] if a.skip_seed else [s for s in a.seeds.split(",") if s]
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=REPO, check=True)
    py = venv()
    print(subprocess.run([str(py), "-c", "import alembic, pytest_alembic, sqlalchemy, sys; print('Python', sys.version.split()[0], 'alembic', alembic.__version__, 'pytest-alembic', pytest_alembic.__version__ if hasattr(pytest_alembic, '__version__') else '0.13.1', 'SQLAlchemy', sqlalchemy.__version__)"], capture_output=True, text=True).stdout.strip())
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="mh-peer-server-", dir=shm) as sroot, tempfile.TemporaryDirectory(prefix="mh-peer-") as w:
        work = Path(w)
        proc, port = start_server(Path(sroot))
        try:
            print(f"server: mariadbd on 127.0.0.1:{port} ({' '.join(FLAGS)}, datadir in {sroot})")
            if a.growth_only:
                growth(a, work, port, py)
                return
            if "flask" in seeds:
                case("seed chain (Flask-Migrate, repository harness.toml)", REPO / "examples/seed-alembic", "all", a.runs, py, port, work, config=REPO / "harness.toml")
            if "alembic" in seeds:
                case("seed chain (plain Alembic)", REPO / "examples/seed-alembic", "all", a.runs, py, port, work)
            walls = {}
            for n in [int(x) for x in a.sizes.split(",") if x]:
                proj = generate_chain(work / f"chain{n}", n)
                walls[n] = case(f"generated {n}-revision chain", proj, "chain", a.runs, py, port, work)
                if a.full_chain:
                    case(f"generated {n}-revision chain, all scenarios", proj, "all", a.runs, py, port, work)
            ns = sorted(walls)
            for lo, hi in zip(ns, ns[1:]):
                print(f"\nharness growth {lo} → {hi} revisions: {walls[hi] / walls[lo]:.2f}x (linear would be {hi / lo:.2f}x)")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
