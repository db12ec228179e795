"""migration-harness worker: runs Alembic (or Flask-Migrate's environment) in-process.

Started once from the project's Python and kept warm, it answers one JSON request per line on
stdin with one JSON response per line on a private copy of stdout. Every SQL statement a
migration sends is recorded through SQLAlchemy's cursor events with the revision running,
so a failure names its statement and what ran before it. Shipped inside the migration-harness
binary; not meant to be edited in place.
"""
import ast
import functools
import importlib.util
import io
import json
import os
import sys
import time
import traceback

_PROTO = None


def _own_stdout():
    """The protocol owns a private copy of fd 1; anything else written to stdout (user code,
    C extensions) lands on stderr and cannot corrupt a response."""
    global _PROTO
    _PROTO = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)

STATE = {
    "rev": None,  # revision whose upgrade()/downgrade() is running
    "rev_file": None,  # that revision's file, to find the line that sent a statement
    "batch_line": None,  # line of the batch operation being flushed (batch_alter_table)
    "count": 0,  # migration statements of that revision the server accepted
    "stop": None,  # (revision, k): simulated crash before its statement k+1
    "records": [],
    "steps": [],
    "failed_rev": None,
    "engines": set(),
}
CONF = {}
_SCRIPTS = {}
_ENGINES = {}
_CODE = {}
_FLASK_APPS = {}

READ_ONLY = ("SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "WITH")


class SimulatedCrash(Exception):
    """Raised before a statement to stop a migration as a crash would."""


def _server_error(exc):
    """(code, message) of a DBAPI error (PyMySQL / mysqlclient carry them in args)."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int) and 1000 <= args[0] < 5000:
        return {"code": args[0], "message": str(args[1])}
    return None


def _render(cursor, statement, parameters, executemany):
    try:
        if executemany and parameters:
            first = cursor.mogrify(statement, parameters[0])
            return "%s  -- x%d rows" % (first, len(parameters)) if len(parameters) > 1 else first
        if parameters:
            return cursor.mogrify(statement, parameters)
    except Exception:
        pass
    return statement


def _classify(statement):
    if STATE["rev"] is not None:
        word = statement.lstrip(" (\n\t").split(None, 1)[0].upper() if statement.strip() else ""
        return "introspection" if word in READ_ONLY else "migration"
    if CONF.get("version_table", "alembic_version") in statement:
        return "version_table"
    return None  # dialect start-up queries and other tool noise


def _issuing_line():
    """(file, line) of the innermost frame in the running revision's file: the line of
    upgrade()/downgrade() (or a helper it defines) that sent the statement being executed."""
    path = STATE["rev_file"]
    if path is None:
        return None
    if STATE["batch_line"] is not None:
        return path, STATE["batch_line"]
    f = sys._getframe(2)
    while f is not None:
        if f.f_code.co_filename == path:
            return path, f.f_lineno
        f = f.f_back
    return None


class _QueuedOps(list):
    """batch_alter_table queues its operations and runs them when the block ends, from the
    `with` line: remember the line that queued each one, and name it while it runs."""

    def append(self, item):
        at = _issuing_line()
        super().append((item, at[1] if at else None))

    def __iter__(self):
        try:
            for item, line in list.__iter__(self):
                STATE["batch_line"] = line
                yield item
        finally:
            STATE["batch_line"] = None

    def __len__(self):
        return list.__len__(self)


def _track_batch_lines():
    try:
        from alembic.operations import batch
    except ImportError:
        return
    original = batch.BatchOperationsImpl.__init__

    def init(self, *a, **kw):
        original(self, *a, **kw)
        self.batch = _QueuedOps()

    batch.BatchOperationsImpl.__init__ = init


def share_ssl_contexts():
    """PyMySQL builds a default SSL context on every connect (loading the system's CA store:
    20-70 ms, most of a short migration command's time); one context per set of SSL
    parameters serves every connection, as an SSLContext is meant to be shared."""
    try:
        import pymysql.connections as pyconn
    except ImportError:
        return
    original_ctx = getattr(pyconn.Connection, "_create_ssl_ctx", None)
    if original_ctx is None or getattr(original_ctx, "_mh_shared", False):
        return
    contexts = {}

    def shared_ssl_ctx(self, sslp):
        key = repr(sorted(sslp.items())) if isinstance(sslp, dict) else repr(sslp)
        if key not in contexts:
            contexts[key] = original_ctx(self, sslp)
        return contexts[key]

    shared_ssl_ctx._mh_shared = True
    pyconn.Connection._create_ssl_ctx = shared_ssl_ctx


def install_hooks():
    _track_batch_lines()

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "engine_connect")
    def _track(conn, *args):
        STATE["engines"].add(conn.engine)

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        source = _classify(statement)
        if source is None:
            return
        stop = STATE["stop"]
        if (
            stop is not None
            and source == "migration"
            and STATE["rev"] == stop[0]
            and STATE["count"] >= stop[1]
        ):
            raise SimulatedCrash(
                "stopped before statement %d of %s (simulated crash)" % (stop[1] + 1, stop[0])
            )
        rec = {
            "revision": STATE["rev"],
            "source": source,
            "sql": _render(cursor, statement, parameters, executemany).strip(),
            "status": "pending",
            "t0": time.perf_counter(),
        }
        if source == "migration":
            at = _issuing_line()
            if at is not None:
                rec["file"], rec["line"] = at
        STATE["records"].append(rec)
        conn.info["mh_rec"] = rec

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        rec = conn.info.pop("mh_rec", None)
        if rec is not None:
            rec["status"] = "applied"
            rec["duration_ms"] = int((time.perf_counter() - rec.pop("t0")) * 1000)
            if rec["source"] == "migration":
                STATE["count"] += 1

    @event.listens_for(Engine, "handle_error")
    def _error(ctx):
        conn = ctx.connection
        rec = conn.info.pop("mh_rec", None) if conn is not None else None
        if rec is not None:
            rec["status"] = "failed"
            rec["duration_ms"] = int((time.perf_counter() - rec.pop("t0")) * 1000)
            err = _server_error(ctx.original_exception)
            if err:
                rec["error"] = err

    # env.py builds an engine on every command; one engine per URL and options serves them
    # all, so the dialect's start-up queries run once per database, not once per command.
    # Each command still gets a fresh connection (the pool is disposed after it), so no
    # session state (sql_mode, FOREIGN_KEY_CHECKS) leaks from one command into the next.
    import sqlalchemy
    import sqlalchemy.engine
    import sqlalchemy.engine.create as create_module

    original_create = create_module.create_engine

    def cached_create_engine(url, *args, **kwargs):
        key = repr((str(url), args, sorted(kwargs.items(), key=lambda kv: kv[0])))
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = original_create(url, *args, **kwargs)
        return engine

    for module in (sqlalchemy, sqlalchemy.engine, create_module):
        module.create_engine = cached_create_engine

    share_ssl_contexts()

    # Alembic calls each revision's upgrade()/downgrade() through RevisionStep.migration_fn;
    # wrapping it tells every statement which revision sent it.
    from alembic.runtime import migration as M

    original_init = M.RevisionStep.__init__

    def init(self, revision_map, revision, is_upgrade):
        original_init(self, revision_map, revision, is_upgrade)
        fn = self.migration_fn
        rev = revision.revision

        @functools.wraps(fn)
        def wrapped(*a, **kw):
            STATE["rev"], STATE["count"] = rev, 0
            STATE["rev_file"] = getattr(getattr(fn, "__code__", None), "co_filename", None)
            STATE["steps"].append(
                {
                    "revision": rev,
                    "direction": "upgrade" if is_upgrade else "downgrade",
                    "from": list(revision._normalized_down_revisions) if is_upgrade else [rev],
                    "doc": (revision.doc or "").strip().splitlines()[0] if revision.doc else "",
                }
            )
            try:
                return fn(*a, **kw)
            except BaseException:
                STATE["failed_rev"] = rev
                raise
            finally:
                STATE["rev"] = None
                STATE["rev_file"] = None
                # A batch that failed mid-flush leaves its iterator suspended.
                STATE["batch_line"] = None

        self.migration_fn = wrapped

    M.RevisionStep.__init__ = init

    # Revision files are imported once per run, not once per command (a 100-revision chain
    # re-imports 100 modules on every `alembic` call otherwise).
    from alembic.script import ScriptDirectory

    original_from_config = ScriptDirectory.from_config.__func__

    def from_config(cls, config):
        key = (
            config.get_main_option("script_location"),
            config.get_main_option("version_locations"),
        )
        if key not in _SCRIPTS:
            _SCRIPTS[key] = original_from_config(cls, config)
        return _SCRIPTS[key]

    ScriptDirectory.from_config = classmethod(from_config)

    # env.py is executed on every command; it is compiled once per run. Python would
    # otherwise compile it again each time wherever it writes no bytecode
    # (PYTHONDONTWRITEBYTECODE, a read-only checkout).
    import alembic.util.pyfiles as pyfiles

    original_load = pyfiles.load_module_py

    def load_module_py(module_id, path):
        source = os.fspath(path)
        if not source.endswith(".py"):
            return original_load(module_id, path)
        st = os.stat(source)
        key = (source, st.st_mtime_ns, st.st_size)
        code = _CODE.get(key)
        if code is None:
            with open(source, "rb") as f:
                code = _CODE[key] = compile(f.read(), source, "exec", dont_inherit=True)
        spec = importlib.util.spec_from_file_location(module_id, source)
        module = importlib.util.module_from_spec(spec)
        exec(code, module.__dict__)  # what SourceFileLoader.exec_module does with the code
        return module

    pyfiles.load_module_py = load_module_py


class _Args:
    """What `alembic -x k=v` leaves in config.cmd_opts."""

    def __init__(self, x):
        self.x = list(x)
        self.autogenerate = False


def alembic_config(url):
    from alembic.config import Config

    cfg = Config(CONF["ini"], cmd_opts=_Args(CONF.get("x_args", [])))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    for key in ("script_location", "version_locations"):
        if CONF.get(key):
            cfg.set_main_option(key, CONF[key])
    return cfg


class FlaskContext:
    """A minimal Flask app with Flask-SQLAlchemy and Migrate pointed at the project's
    migrations directory: the project's env.py finds `current_app.extensions['migrate']`,
    and the user's app (which may query its models at import) is never imported. One app per
    database URL serves every command on it (building one costs more than most commands);
    each command pushes its own app context and disposes the engine's connections after."""

    KEEP = 8  # apps kept, most recently used (a run touches a few databases at a time)

    def __init__(self, url):
        key = url or "mysql+pymysql://unused@127.0.0.1/"
        built = _FLASK_APPS.pop(key, None) or self._build(key)
        _FLASK_APPS[key] = built
        while len(_FLASK_APPS) > self.KEEP:
            _FLASK_APPS.pop(next(iter(_FLASK_APPS)))
        self.app, self.db, self.migrate = built
        self.ctx = None

    @staticmethod
    def _build(url):
        from flask import Flask
        from flask_migrate import Migrate
        from flask_sqlalchemy import SQLAlchemy

        app = Flask("migration_harness_worker")
        app.config["SQLALCHEMY_DATABASE_URI"] = url
        db = SQLAlchemy()
        db.init_app(app)
        return app, db, Migrate(app, db, directory=CONF["directory"])

    def __enter__(self):
        self.ctx = self.app.app_context()
        self.ctx.push()
        return self

    def config(self):
        return self.migrate.get_config(CONF["directory"], x_arg=CONF.get("x_args") or None)

    def __exit__(self, *exc):
        try:
            self.db.engine.dispose()
        except Exception:
            pass
        self.ctx.pop()


class _Plain:
    def __init__(self, url):
        self.url = url

    def __enter__(self):
        return self

    def config(self):
        return alembic_config(self.url)

    def __exit__(self, *exc):
        pass


def context(url):
    return FlaskContext(url) if CONF["mode"] == "flask" else _Plain(url)


def _downgrade_kind(module):
    fn = getattr(module, "downgrade", None)
    if fn is None:
        return "missing"
    try:
        path = module.__file__
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except Exception:
        return "present"
    def empty(name):
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return not [
                    n
                    for n in node.body
                    if not isinstance(n, ast.Pass)
                    and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
                ]
        return False

    # A revision whose upgrade is empty too has nothing to undo: its empty downgrade is right.
    return "empty" if empty("downgrade") and not empty("upgrade") else "present"


def _as_tuple(v):
    if v is None:
        return ()
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def _line_of_revision(path):
    try:
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if line.startswith("revision"):
                    return i
    except Exception:
        pass
    return None


def cmd_graph(req):
    from alembic.script import ScriptDirectory

    with context(None) as c:
        script = ScriptDirectory.from_config(c.config())
        revisions = []
        for s in script.walk_revisions("base", "heads"):
            deps = s._resolved_dependencies if hasattr(s, "_resolved_dependencies") else ()
            revisions.append(
                {
                    "id": s.revision,
                    # As declared: Alembic's "normalized" form drops a parent that a
                    # dependency already implies, which would hide the merge.
                    "parents": list(_as_tuple(s.down_revision)),
                    "branch_labels": sorted(s.branch_labels or ()),
                    "depends_on": list(deps or ()),
                    "description": (s.doc or "").strip().splitlines()[0] if s.doc else "",
                    "file": s.path,
                    "line": _line_of_revision(s.path),
                    "downgrade": _downgrade_kind(s.module),
                }
            )
        revisions.reverse()  # walk_revisions goes head → base
        return {"revisions": revisions, "heads": list(script.get_heads())}


def cmd_migrate(req):
    from alembic import command

    action, target = req["cmd"], req["target"]
    stop = req.get("stop_after")
    if stop is not None:
        STATE["stop"] = (req["stop_revision"], int(stop))
    with context(req["url"]) as c:
        cfg = c.config()
        if action == "upgrade":
            command.upgrade(cfg, target)
        elif action == "downgrade":
            try:
                command.downgrade(cfg, target)
            except Exception as e:
                # With several heads applied (branches, depends_on), Alembic refuses a
                # destination that is an ancestor of only some of them; going there means
                # unapplying everything that is not its ancestor, newest first.
                if "not a valid downgrade target" not in str(e):
                    raise
                _downgrade_outside(cfg, target)
        elif action == "stamp":
            command.stamp(cfg, target, purge=True)
        elif action == "check":
            command.check(cfg)
        else:
            raise ValueError("unknown command %r" % action)
    return {}


def _downgrade_outside(cfg, target):
    """Runs env.py with a step list of our own: a downgrade RevisionStep for every applied
    revision that `target` does not need — the same machinery `alembic downgrade` uses
    (alembic/command.py: EnvironmentContext(fn=...) then script.run_env())."""
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import RevisionStep
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(cfg)
    rmap = script.revision_map
    keep = {r.revision for r in rmap.iterate_revisions(target, "base")}

    def steps(heads, context):
        applied = [r for r in rmap.iterate_revisions(heads, "base") if r.revision not in keep]
        return [RevisionStep(rmap, r, False) for r in applied]

    with EnvironmentContext(cfg, script, fn=steps, destination_rev=target):
        script.run_env()


def _user_metadata(url):
    """The model of this release, never by running the user's app: env.py's
    `target_metadata` (env.py runs with a step function that returns no steps, as
    `alembic check` does), or for Flask-Migrate the project's Flask-SQLAlchemy `db.metadata`,
    found by importing the `--app` module (not calling its factory) inside the minimal app."""
    if CONF["mode"] == "flask":
        import importlib

        from flask_sqlalchemy import SQLAlchemy

        name = (CONF.get("app") or "app").split(":")[0]
        if name.endswith(".py"):
            name = name[:-3].replace("/", ".")
        with context(url):
            module = importlib.import_module(name)
        found = [v for v in vars(module).values() if isinstance(v, SQLAlchemy)]
        if not found:
            raise RuntimeError("module %s holds no Flask-SQLAlchemy instance (db = SQLAlchemy())" % name)
        return [found[0].metadata]
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config(url)
    script = ScriptDirectory.from_config(cfg)
    box = {}

    def no_steps(rev, ctx):
        box["metadata"] = ctx.opts.get("target_metadata")
        return []

    with EnvironmentContext(cfg, script, fn=no_steps, dont_mutate=True):
        script.run_env()
    md = box.get("metadata")
    if md is None:
        raise RuntimeError("env.py configures no target_metadata")
    return list(md) if isinstance(md, (list, tuple)) else [md]


def _sample(column, n):
    """A value of the column's type, distinct per statement (seeded rows keep theirs)."""
    import datetime
    import decimal

    import sqlalchemy as sa

    t = column.type
    if isinstance(t, sa.Enum) and t.enums:
        return t.enums[0]
    try:
        py = t.python_type
    except Exception:
        py = str
    if py is bool:
        return 1
    if py is int:
        return 900000 + n
    if py in (float, decimal.Decimal):
        return 1.5
    if py is datetime.datetime:
        return "2024-01-02 03:04:05"
    if py is datetime.date:
        return "2024-01-02"
    if py is datetime.time:
        return "03:04:05"
    if py in (dict, list):
        return "{}"
    length = getattr(t, "length", None) or 32
    return ("mh%d" % (900000 + n))[:length]


def _set_by_model(table, column):
    """Columns an ORM insert sets: not the autoincrement key, not computed, not those only
    the server fills."""
    if column is table.autoincrement_column or column.computed is not None:
        return False
    return column.default is not None or column.server_default is None


def _compiled(stmt, dialect, roles):
    c = stmt.compile(dialect=dialect)
    params = [dict(roles[name]) for name in (c.positiontup or [])]
    return {"sql": str(c), "params": params}


def cmd_model(req):
    import sqlalchemy as sa
    from sqlalchemy.dialects import mysql

    dialect = mysql.dialect(paramstyle="qmark")
    out = []
    seen = set()
    for md in _user_metadata(req.get("url")):
        for table in md.sorted_tables:
            if table.name in seen:
                continue
            seen.add(table.name)
            pk = list(table.primary_key.columns)
            cols = [c for c in table.columns if _set_by_model(table, c)]
            roles, n = {}, 0

            def bind(prefix, col, role):
                nonlocal n
                n += 1
                name = "%s_%d" % (prefix, n)
                roles[name] = {"column": col.name, "role": role, "value": _sample(col, n)}
                return sa.bindparam(name, type_=col.type)

            stmts = [("insert", sa.insert(table).values({c.name: bind("i", c, "value") for c in cols}))]
            if pk:
                where = sa.and_(*[c == bind("k", c, "key") for c in pk])
                stmts.append(("select", sa.select(table).where(where)))
                rest = [c for c in cols if not c.primary_key]
                if rest:
                    values = {c.name: bind("u", c, "value") for c in rest}
                    stmts.append(("update", sa.update(table).where(where).values(values)))
                stmts.append(("delete", sa.delete(table).where(where)))
            entries = []
            for op, stmt in stmts:
                e = _compiled(stmt, dialect, roles)
                e["op"] = op
                entries.append(e)
            out.append({"table": table.name, "statements": entries})
    return {"tables": out}


def _set_url_env(url):
    if url is not None:
        for name in CONF.get("url_env", []):
            os.environ[name] = url


class _Bounded(io.RawIOBase):
    """Keeps the first 32 KiB and the last 96 KiB of what a command prints (the end holds
    the traceback); a migration printing megabytes cannot exhaust memory."""

    HEAD, TAIL = 32 * 1024, 96 * 1024

    def __init__(self):
        self.head, self.tail, self.dropped = bytearray(), bytearray(), 0

    def writable(self):
        return True

    def write(self, b):
        b = bytes(b)
        n = len(b)
        room = self.HEAD - len(self.head)
        if room > 0:
            self.head += b[:room]
            b = b[room:]
        if b:
            self.tail += b
            cut = len(self.tail) - self.TAIL
            if cut > 0:
                self.dropped += cut
                del self.tail[:cut]
        return n

    def text(self):
        mid = ("\n[... %d bytes of output omitted ...]\n" % self.dropped).encode() if self.dropped else b""
        return (bytes(self.head) + mid + bytes(self.tail)).decode("utf-8", "replace")


def handle(req):
    STATE.update(records=[], steps=[], failed_rev=None, stop=None, rev=None, count=0)
    raw = _Bounded()
    # A real text stream with a .buffer, as sys.stdout has: code may write bytes to it.
    out = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors="replace", write_through=True)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    resp = {"id": req.get("id"), "ok": True}
    t0 = time.perf_counter()
    try:
        _set_url_env(req.get("url"))
        if req["cmd"] == "graph":
            resp["result"] = cmd_graph(req)
        elif req["cmd"] == "model":
            resp["result"] = cmd_model(req)
        else:
            resp["result"] = cmd_migrate(req)
    except BaseException as e:  # SystemExit from user code is a failed command too
        resp["ok"] = False
        cause, err = e, None
        while cause is not None and err is None:
            err = _server_error(getattr(cause, "orig", None) or cause)
            cause = cause.__cause__ or cause.__context__
        resp["error"] = err
        resp["crashed"] = isinstance(e, SimulatedCrash) or isinstance(
            getattr(e, "orig", None), SimulatedCrash
        )
        # A crash the harness asked for needs no traceback, nor do the exceptions it is
        # chained to (formatting one reads the source of every frame: a twentieth of the
        # worker's time on a crash-resume run).
        if resp["crashed"]:
            lines = traceback.format_exception_only(type(e), e)
        else:
            lines = traceback.format_exception(type(e), e, e.__traceback__)
        resp["exception"] = "".join(lines)[-20000:]
        resp["failed_revision"] = STATE["failed_rev"]
    finally:
        sys.stdout, sys.stderr = saved
        for engine in list(STATE["engines"]):
            try:
                engine.dispose()
            except Exception:
                pass
        STATE["engines"].clear()
    try:
        out.flush()
    except Exception:
        pass
    resp["log"] = raw.text()
    resp["steps"] = STATE["steps"]
    resp["statements"] = [
        {k: v for k, v in r.items() if k != "t0"} for r in STATE["records"] if r["status"] != "pending"
    ]
    resp["duration_ms"] = int((time.perf_counter() - t0) * 1000)
    return resp


@functools.lru_cache(maxsize=None)
def versions():
    """The tools' versions, read once per interpreter (the zygote reads them before forking:
    each read scans every installed distribution)."""
    import importlib.metadata as md

    out = [["Python", sys.version.split()[0]]]
    for d in ("alembic", "SQLAlchemy", "Flask", "Flask-Migrate", "Flask-SQLAlchemy", "PyMySQL"):
        try:
            out.append([d, md.version(d)])
        except Exception:
            pass
    return out


def serve(conf):
    CONF.update(conf)
    os.chdir(CONF["workdir"])
    sys.path.insert(0, CONF["workdir"])  # as `python -m alembic` run from the project
    missing = []
    for mod, dist in CONF.get("required", []):
        try:
            __import__(mod)
        except Exception:
            missing.append([mod, dist])
    if missing:
        _PROTO.write(json.dumps({"ready": False, "missing": missing, "versions": versions()}) + "\n")
        return
    install_hooks()
    answer_requests(handle, versions)


def answer_requests(handle, versions):
    """Says it is ready, then answers one JSON request per stdin line until `shutdown`
    (the Django worker serves through this too)."""
    _PROTO.write(json.dumps({"ready": True, "pid": os.getpid(), "versions": versions()}) + "\n")
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        if req.get("cmd") == "shutdown":
            break
        _PROTO.write(json.dumps(handle(req), default=str) + "\n")


# The fork server ("zygote"): one interpreter imports the tool's libraries (never the
# project's app) and forks every worker and every real-process tool command (`flask db
# upgrade`, `flask db check`, the app command) from there, so each starts without paying the
# imports again. Each child is its own process and process group with its own stdio; a
# tool command runs as `python -m MODULE ARGS` would, in a fresh copy of the interpreter.

PRELOAD = {
    "alembic": [
        "logging.config", "sqlalchemy", "sqlalchemy.dialects.mysql.pymysql", "pymysql",
        "alembic.config", "alembic.command", "alembic.script", "alembic.runtime.migration",
        "alembic.runtime.environment", "alembic.autogenerate", "alembic.op",
    ],
}
PRELOAD["flask"] = PRELOAD["alembic"] + [
    "click", "flask", "flask.cli", "flask_sqlalchemy", "flask_migrate", "flask_migrate.cli",
]


def _preload(conf):
    """Imports what the tools import anyway, unless the project's directory holds a module
    of that name (which `python -m` from there would import instead)."""
    local = set(os.listdir("."))
    for mod in PRELOAD.get(conf.get("mode"), PRELOAD["alembic"]):
        top = mod.split(".")[0]
        if top in local or top + ".py" in local:
            continue
        try:
            __import__(mod)
        except Exception:
            pass


def _prewarm():
    """Builds once what every child would build again on its first connection: PyMySQL's
    default SSL context (it offers TLS to every server, and loading the CA store costs
    10-70 ms per process) and the host-name codec `getaddrinfo` imports. Only for a PyMySQL
    the tools' preload imported; a context is shared the way `share_ssl_contexts` shares it
    within one worker, so what a connection does is unchanged."""
    import encodings.idna  # noqa: F401

    if "pymysql.connections" not in sys.modules:
        return
    share_ssl_contexts()
    pyconn = sys.modules["pymysql.connections"]
    if getattr(pyconn, "SSL_ENABLED", False):
        try:
            pyconn.Connection._create_ssl_ctx(None, {})
        except Exception:
            pass


def _exit_code(exc):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def _child_run(req):
    """`python -m MODULE ARGS` in this copy of the interpreter: the project's directory first
    on sys.path, the environment the harness gives, the interpreter's exit semantics."""
    import atexit
    import runpy

    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    argv = req["argv"]
    module = argv[1]
    sys.argv = [module] + argv[2:]
    sys.path[0] = os.getcwd()
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        code = _exit_code(e)
    except BaseException as e:
        # From runpy down, as the interpreter would print it (this frame is the harness's).
        sys.excepthook(type(e), e, e.__traceback__.tb_next)
        code = 1
    try:
        atexit._run_exitfuncs()
    except BaseException:
        pass
    return code


_STALE = []


def _child(req, fds, inherited):
    """In the forked child: its own process group and stdio, then the worker or the command."""
    global _PROTO
    code = 70
    try:
        os.setpgid(0, 0)
        if req["kind"] == "worker":
            stdin, out, err = fds
        else:
            stdin = os.open(os.devnull, os.O_RDONLY)
            out, err = fds
        os.dup2(stdin, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        # As a freshly started interpreter: only stdio stays open. The zygote's protocol
        # stream is kept referenced (never collected, so never closing a reused number).
        _STALE.append(_PROTO)
        _PROTO = None
        for fd in set(fds) | {stdin} | set(inherited):
            if fd > 2:
                os.close(fd)
        if req["kind"] == "worker":
            _own_stdout()
            serve(req["conf"])
            code = 0
        else:
            code = _child_run(req)
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        for stream in (sys.stdout, sys.stderr, _PROTO):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)


def zygote(conf):
    import gc
    import select
    import socket

    _own_stdout()
    os.chdir(conf["workdir"])
    # The imports build some 150k objects and almost no garbage: the collector running
    # during them is a fifth of the start (measured 380 ms against 310 ms), and the whole
    # run waits for this start. What they built is frozen as it is.
    gc.disable()
    _preload(conf)
    _prewarm()
    versions()
    gc.freeze()  # the children's garbage collector leaves the shared pages alone
    gc.enable()
    sock = socket.socket(fileno=0)  # SOCK_SEQPACKET: one request (and its pipes) per message
    _PROTO.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    waiting = {}
    while True:
        ready, _, _ = select.select([sock] + list(waiting), [], [])
        for r in ready:
            if r is sock:
                msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
                if not msg:
                    # The harness is gone (its process groups are its own to kill), and it
                    # waits for this exit: skip tearing down the interpreter's objects.
                    _PROTO.flush()
                    os._exit(0)
                req = json.loads(msg)
                try:
                    pid = os.fork()
                except OSError as e:
                    _PROTO.write(json.dumps({"id": req["id"], "error": str(e)}) + "\n")
                    pid = None
                if pid == 0:
                    _child(req, fds, [_PROTO.fileno()] + list(waiting))
                for fd in fds:
                    os.close(fd)
                if pid:
                    waiting[os.pidfd_open(pid)] = (req["id"], pid)
                    _PROTO.write(json.dumps({"id": req["id"], "pid": pid}) + "\n")
            else:
                rid, pid = waiting.pop(r)
                os.close(r)
                _, status = os.waitpid(pid, 0)
                if os.WIFSIGNALED(status):
                    end = {"id": rid, "signal": os.WTERMSIG(status)}
                else:
                    end = {"id": rid, "exit": os.waitstatus_to_exitcode(status)}
                _PROTO.write(json.dumps(end) + "\n")


def main():
    if sys.argv[1] == "--zygote":
        zygote(json.loads(sys.argv[2]))
        return
    _own_stdout()
    serve(json.loads(sys.argv[1]))


if __name__ == "__main__":
    main()
