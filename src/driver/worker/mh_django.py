"""migration-harness Django worker: runs a Django project's migrations in-process.

Started once from the project's Python with the project's settings and kept warm, it speaks
the protocol of mh_worker.py (one JSON request per line on stdin, one JSON response per line
on a private copy of stdout). Migrations run through `call_command("migrate", app, name)`; the
graph comes from Django's MigrationLoader; every statement is recorded through
`connection.execute_wrapper` with the migration that sent it. Shipped inside the
migration-harness binary next to mh_worker.py, whose helpers it shares.
"""
import collections
import functools
import io
import json
import os
import re
import sys
import time
import traceback
from urllib.parse import unquote, urlsplit

import mh_worker
from mh_worker import READ_ONLY, SimulatedCrash, _Bounded, _server_error

STATE = {
    "rev": None,  # "app.name" of the migration being applied or unapplied
    "count": 0,  # its migration statements the server accepted
    "stop": None,  # (revision, k): simulated crash before its statement k+1
    "records": [],
    "steps": [],
    "failed_rev": None,
}
CONF = {}
VERSION_TABLE = "django_migrations"


def _classify(sql):
    if VERSION_TABLE in sql:
        return "version_table"
    if STATE["rev"] is None:
        return None  # connection start-up queries and other tool noise
    word = sql.lstrip(" (\n\t").split(None, 1)[0].upper() if sql.strip() else ""
    return "introspection" if word in READ_ONLY else "migration"


def _render(cursor, sql, params, many):
    """The statement as sent, parameters inlined by the driver's own quoting."""
    raw = cursor
    while raw is not None and not hasattr(raw, "mogrify"):
        raw = getattr(raw, "cursor", None)
    try:
        if raw is not None and params:
            if many:
                params = list(params)
                first = raw.mogrify(sql, params[0])
                return "%s  -- x%d rows" % (first, len(params)) if len(params) > 1 else first
            return raw.mogrify(sql, params)
    except Exception:
        pass
    return sql


def _capture(execute, sql, params, many, context):
    source = _classify(sql)
    if source is None:
        return execute(sql, params, many, context)
    stop = STATE["stop"]
    if stop and source == "migration" and STATE["rev"] == stop[0] and STATE["count"] >= stop[1]:
        raise SimulatedCrash("stopped before statement %d of %s (simulated crash)" % (stop[1] + 1, stop[0]))
    rec = {
        "revision": STATE["rev"] if source != "version_table" else None,
        "source": source,
        "sql": _render(context.get("cursor"), sql, params, many).strip(),
        "status": "failed",
    }
    STATE["records"].append(rec)
    t0 = time.perf_counter()
    try:
        result = execute(sql, params, many, context)
    except BaseException as e:
        err = _server_error(e) or _server_error(getattr(e, "__cause__", None))
        if err:
            rec["error"] = err
        raise
    finally:
        rec["duration_ms"] = int((time.perf_counter() - t0) * 1000)
    rec["status"] = "applied"
    if source == "migration":
        STATE["count"] += 1
    return result


def install_hooks():
    """Tells every statement which migration sent it: MigrationExecutor applies and unapplies
    one migration at a time through these two methods."""
    from django.db.migrations.executor import MigrationExecutor

    mh_worker.share_ssl_contexts()

    def tracked(original, direction):
        @functools.wraps(original)
        def run(self, state, migration, *a, **kw):
            rev = "%s.%s" % (migration.app_label, migration.name)
            STATE["rev"], STATE["count"] = rev, 0
            STATE["steps"].append({"revision": rev, "direction": direction, "from": [], "doc": ""})
            try:
                return original(self, state, migration, *a, **kw)
            except BaseException:
                STATE["failed_rev"] = rev
                raise
            finally:
                STATE["rev"] = None

        return run

    MigrationExecutor.apply_migration = tracked(MigrationExecutor.apply_migration, "upgrade")
    MigrationExecutor.unapply_migration = tracked(MigrationExecutor.unapply_migration, "downgrade")


class _States:
    """Rendered project states, by the migrations applied, kept across one worker's calls.

    Every `migrate` call builds the project state of the applied migrations and renders all
    its models (twice: before and after), and a downgrade replays the states of every applied
    migration; on a long chain that is most of a call, and it grows with the chain. A state is
    a function of the set of applied migrations mutated in the full plan's order (what
    `_create_project_state` computes), so the worker keeps the last few, rendered, and each
    call starts from a copy: the state Django would compute, without rendering it again. A
    call stores its end state only when it is that function of its applied set (a real,
    forwards run of migrations after every applied one, or a downgrade)."""

    LIMIT = 8

    def __init__(self):
        self.saved = collections.OrderedDict()

    @staticmethod
    def key(executor, applied):
        return (frozenset(executor.loader.unmigrated_apps), frozenset(applied))

    def get(self, executor, applied, full_plan):
        """A copy of the rendered state of `applied` (migration keys)."""
        from django.db.migrations.state import ProjectState

        key = self.key(executor, applied)
        state = self.saved.get(key)
        if state is None:
            state = ProjectState(real_apps=executor.loader.unmigrated_apps)
            for migration, _ in full_plan:
                if (migration.app_label, migration.name) in applied:
                    migration.mutate_state(state, preserve=False)
            state.apps  # render once, here
            self.put(key, state)
        else:
            self.saved.move_to_end(key)
        return state.clone()

    def put(self, key, state):
        self.saved[key] = state
        self.saved.move_to_end(key)
        while len(self.saved) > self.LIMIT:
            self.saved.popitem(last=False)


STATES = _States()


def _applied(executor):
    return {k for k in executor.loader.applied_migrations if k in executor.loader.graph.nodes}


def _positions(full_plan):
    return {(m.app_label, m.name): i for i, (m, _) in enumerate(full_plan)}


def install_state_cache():
    """Serves `MigrationExecutor`'s project states from `STATES` (see `_States`)."""
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.state import ProjectState
    from django.db.models import signals

    original_create = MigrationExecutor._create_project_state
    original_migrate = MigrationExecutor.migrate
    original_clear = ProjectState.clear_delayed_apps_cache

    def full_plan(self):
        return self.migration_plan(self.loader.graph.leaf_nodes(), clean_start=True)

    def create(self, with_applied_migrations=False):
        if not with_applied_migrations:
            return original_create(self, with_applied_migrations)
        return STATES.get(self, _applied(self), full_plan(self))

    def migrate(self, targets, plan=None, state=None, fake=False, fake_initial=False):
        before = _applied(self)
        if plan is None:
            plan = self.migration_plan(targets)
        end = original_migrate(self, targets, plan, state, fake, fake_initial)
        if plan and not fake and not fake_initial and all(not back for _, back in plan):
            at = _positions(full_plan(self))
            ran = [(m.app_label, m.name) for m, _ in plan]
            # Applied after every migration already applied: the full plan's order.
            last_before = max((at[k] for k in before if k in at), default=-1)
            if all(k in at and at[k] > last_before for k in ran):
                STATES.put(STATES.key(self, before | set(ran)), end.clone())
        return end

    def backwards(self, plan, full, fake):
        """Django's `_migrate_all_backwards` with each migration's prior state from STATES."""
        applied = _applied(self)
        at = _positions(full)
        keys = [(m.app_label, m.name) for m, _ in plan]
        prior = {k: {a for a in applied if at.get(a, -1) < at[k]} for k in keys}
        states = {k: STATES.get(self, prior[k], full) for k in keys}
        for (migration, _), k in zip(plan, keys):
            self.unapply_migration(states[k], migration, fake=fake)
            applied.discard(k)
        # Django's end state: the one before the last migration undone, plus whatever is
        # still applied after it.
        last = keys[-1]
        remaining = prior[last] | {a for a in applied if at.get(a, -1) > at[last]}
        return STATES.get(self, remaining, full)

    def clear_delayed(self):
        # The migrate command renders its end state again only to hand it to post_migrate
        # receivers; without any, nothing would see it.
        if signals.post_migrate.receivers:
            original_clear(self)

    MigrationExecutor._create_project_state = create
    MigrationExecutor.migrate = migrate
    MigrationExecutor._migrate_all_backwards = backwards
    ProjectState.clear_delayed_apps_cache = clear_delayed


def _point_at(url):
    """Points the project's `default` database at the harness's server; a new server (host or
    port) gets a fresh connection object, so nothing cached about the last one survives."""
    from django.conf import settings
    from django.db import connections

    u = urlsplit(url)
    db = settings.DATABASES["default"]
    before = (db.get("HOST"), str(db.get("PORT")), db.get("ENGINE"))
    if db.get("ENGINE") != "django.db.backends.mysql":
        db["ENGINE"] = "django.db.backends.mysql"
        db["OPTIONS"] = {}
    db.update(
        NAME=u.path.lstrip("/"),
        USER=unquote(u.username or ""),
        PASSWORD=unquote(u.password or ""),
        HOST=u.hostname or "127.0.0.1",
        PORT=str(u.port or 3306),
    )
    connections["default"].close()
    if before != (db["HOST"], db["PORT"], db["ENGINE"]):
        del connections["default"]
    return connections["default"]


def _irreversible(migration):
    """The first operation Django cannot reverse (RunPython/RunSQL without a reverse)."""
    for op in migration.operations:
        if not getattr(op, "reversible", True):
            return op.describe()
    return None


def cmd_graph(req):
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    graph = loader.graph
    known = sorted({app for app, _ in graph.leaf_nodes()})
    apps = req.get("apps") or known
    unknown = [a for a in apps if a not in known]
    if unknown:
        raise ValueError(
            "[migrations] app names %s, which has no migrations (apps with migrations: %s)"
            % (", ".join(unknown), ", ".join(known) or "none")
        )
    targets = [n for n in graph.leaf_nodes() if n[0] in apps]
    plan, seen = [], set()
    for target in targets:
        for node in graph.forwards_plan(target):
            if node not in seen:
                seen.add(node)
                plan.append(node)
    revisions = []
    for node in plan:
        m = loader.graph.nodes[node]
        module = sys.modules.get(m.__module__)
        revisions.append(
            {
                "id": "%s.%s" % node,
                "app": node[0],
                "name": node[1],
                "depends_on": ["%s.%s" % p.key for p in sorted(graph.node_map[node].parents)],
                "file": getattr(module, "__file__", None),
                "irreversible": _irreversible(m),
                "operations": [op.describe() for op in m.operations],
            }
        )
    return {"revisions": revisions}


def cmd_migrate(req):
    from django.core.management import call_command

    conn = _point_at(req["url"])
    if req.get("stop_after") is not None:
        STATE["stop"] = (req["stop_revision"], int(req["stop_after"]))
    with conn.execute_wrapper(_capture):
        for app, name in req["moves"]:
            call_command(
                "migrate",
                app,
                name,
                fake=bool(req.get("fake")),
                interactive=False,
                verbosity=1,
                stdout=sys.stdout,
                stderr=sys.stderr,
            )
    return {}


def handle(req):
    STATE.update(records=[], steps=[], failed_rev=None, stop=None, rev=None, count=0)
    raw = _Bounded()
    out = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors="replace", write_through=True)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    resp = {"id": req.get("id"), "ok": True}
    t0 = time.perf_counter()
    try:
        resp["result"] = cmd_graph(req) if req["cmd"] == "graph" else cmd_migrate(req)
    except BaseException as e:  # SystemExit from user code is a failed command too
        resp["ok"] = False
        cause, err = e, None
        while cause is not None and err is None:
            err = _server_error(cause)
            cause = cause.__cause__ or cause.__context__
        resp["error"] = err
        resp["crashed"] = isinstance(e, SimulatedCrash)
        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))[-20000:]
        # `<function f at 0x7f…>` differs on every run; equal defects must read the same.
        resp["exception"] = re.sub(r" at 0x[0-9a-f]+>", ">", text)
        resp["failed_revision"] = STATE["failed_rev"]
    finally:
        sys.stdout, sys.stderr = saved
        try:
            from django.db import connections

            connections["default"].close()
        except Exception:
            pass
    try:
        out.flush()
    except Exception:
        pass
    resp["log"] = raw.text()
    resp["steps"] = STATE["steps"]
    resp["statements"] = STATE["records"]
    resp["duration_ms"] = int((time.perf_counter() - t0) * 1000)
    return resp


def versions():
    import importlib.metadata as md

    out = [["Python", sys.version.split()[0]]]
    for d in ("Django", "PyMySQL", "mysqlclient"):
        try:
            out.append([d, md.version(d)])
        except Exception:
            pass
    return out


def main():
    # The protocol owns a private copy of fd 1 before anything (Django, the project's
    # settings) can print to stdout; mh_worker's helpers write through the same stream.
    mh_worker._own_stdout()
    proto = mh_worker._PROTO
    CONF.update(json.loads(sys.argv[1]))
    os.chdir(CONF["workdir"])
    sys.path.insert(0, CONF["workdir"])  # as `python manage.py` run from its directory
    os.environ["DJANGO_SETTINGS_MODULE"] = CONF["settings"]
    try:
        import django

        try:
            import MySQLdb  # noqa: F401  (mysqlclient, Django's own choice)
        except ImportError:
            import pymysql

            pymysql.install_as_MySQLdb()
        django.setup()
    except ImportError as e:
        name = getattr(e, "name", None) or "django"
        dist = {"django": "Django", "pymysql": "PyMySQL"}.get(name, name)
        proto.write(json.dumps({"ready": False, "missing": [[name, dist]], "versions": versions()}) + "\n")
        return
    install_hooks()
    install_state_cache()
    mh_worker.answer_requests(handle, versions)


if __name__ == "__main__":
    main()
