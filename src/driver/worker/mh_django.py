"""migration-harness Django worker: runs a Django project's migrations in-process.

Started once from the project's Python with the project's settings and kept warm, it speaks
the protocol of mh_worker.py (one JSON request per line on stdin, one JSON response per line
on a private copy of stdout). Migrations run through `call_command("migrate", app, name)`; the
graph comes from Django's MigrationLoader; every statement is recorded through
`connection.execute_wrapper` with the migration that sent it. Shipped inside the
migration-harness binary next to mh_worker.py, whose helpers it shares.
"""
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
    mh_worker.answer_requests(handle, versions)


if __name__ == "__main__":
    main()
