//! `PythonToolDriver`: Alembic and Flask-Migrate projects. Migrations run in warm in-process
//! workers (`worker`), with every statement captured; the user's app and the real CLI run only
//! where they are the point (`app_command`, Flask's model check, the deploy rehearsal).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use super::python::resolve_python;
use super::tool::ToolRunner;
use super::worker::{Reply, WorkerFailure, WorkerPool, WorkerScript, WorkerSpec};
use super::{
    DbTarget, Execution, MigrationDriver, Outcome, Target, ToolCommands, VersionState, VersionStyle,
};
use crate::chain::{parse_alembic_dir, Chain, DowngradeKind, GraphSource, Revision};
use crate::compat::{CodeStatement, ModelUnavailable};
use crate::config::{Config, ToolKind};
use crate::error::{HarnessError, Result};
use crate::redact::Redactor;

/// How long loading the revision graph may take (imports every revision file once).
const GRAPH_TIMEOUT: Duration = Duration::from_secs(180);

pub struct PythonToolDriver {
    kind: ToolKind,
    python: PathBuf,
    /// The CLI the project's own commands run through (`python -m flask --app APP db`).
    prefix: Vec<String>,
    tool: ToolRunner,
    pool: WorkerPool,
    redactor: Redactor,
    chain: Chain,
    order: Vec<String>,
    versions: Vec<(String, String)>,
}

/// The Flask-Migrate directory: the one holding env.py (`[migrations] dir` may name it or
/// its `versions/`).
fn flask_directory(dir: &Path) -> PathBuf {
    if dir.join("env.py").exists() {
        dir.to_path_buf()
    } else {
        dir.parent().unwrap_or(dir).to_path_buf()
    }
}

impl PythonToolDriver {
    pub async fn load(cfg: &Config, redactor: &Redactor, verbose: bool) -> Result<Self> {
        let m = &cfg.raw.migrations;
        let python = resolve_python(cfg).await?;
        let py = python.display().to_string();
        let dir = cfg.migrations_dir();
        let ini = cfg.resolve(m.alembic_ini.as_deref().unwrap_or(Path::new("alembic.ini")));
        let (prefix, conf) = match m.tool {
            ToolKind::Flask => (
                vec![
                    py,
                    "-m".into(),
                    "flask".into(),
                    "--app".into(),
                    m.app.clone().unwrap_or_default(),
                    "db".into(),
                ],
                json!({
                    "mode": "flask",
                    "app": m.app.clone().unwrap_or_else(|| "app".into()),
                    "directory": flask_directory(&dir),
                    "required": [["flask_migrate", "Flask-Migrate"], ["flask_sqlalchemy", "Flask-SQLAlchemy"], ["pymysql", "PyMySQL"]],
                }),
            ),
            _ => {
                if !ini.exists() {
                    return Err(HarnessError::usage(format!(
                        "{}: {} does not exist (set [migrations] alembic_ini)",
                        cfg.path.display(),
                        ini.display()
                    )));
                }
                let mut v = vec![
                    py,
                    "-m".into(),
                    "alembic".into(),
                    "-c".into(),
                    ini.display().to_string(),
                ];
                for x in &m.x_args {
                    v.push("-x".into());
                    v.push(x.clone());
                }
                (
                    v,
                    json!({
                        "mode": "alembic",
                        "ini": ini,
                        "required": [["alembic", "alembic"], ["pymysql", "PyMySQL"]],
                    }),
                )
            }
        };
        let mut conf = conf;
        conf["workdir"] = json!(cfg.workdir());
        conf["x_args"] = json!(m.x_args);
        conf["url_env"] = json!(m.url_envs());
        conf["version_table"] = json!("alembic_version");
        let env: Vec<(String, String)> =
            m.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let (pool, mut versions) = WorkerPool::start(WorkerSpec {
            script: WorkerScript::Alembic,
            python: python.clone(),
            cwd: cfg.workdir(),
            env: env.clone(),
            conf,
        })
        .await?;
        versions.push((
            "runner".into(),
            "in-process Alembic worker (warm Python processes, statement capture)".into(),
        ));
        let tool = ToolRunner {
            cwd: cfg.workdir(),
            env,
            url_env: m.url_envs(),
            url_scheme: m
                .url_scheme
                .clone()
                .unwrap_or_else(|| "mysql+pymysql".into()),
            redactor: redactor.clone(),
            verbose,
            zygote: pool.zygote().map(|z| (python.clone(), z)),
        };
        let mut chain = match pool.call(json!({"cmd": "graph"}), GRAPH_TIMEOUT).await {
            Ok(r) if r.ok => chain_from_graph(&r.result).map_err(HarnessError::env)?,
            other => {
                let reason = match other {
                    Ok(r) => super::process::last_line(r.exception.as_deref().unwrap_or("")),
                    Err(f) => format!("{f:?}"),
                };
                let mut c = parse_alembic_dir(&dir).map_err(|e| {
                    HarnessError::usage(format!("cannot read {}: {e}", dir.display()))
                })?;
                c.source = GraphSource::FilesFallback {
                    reason: redactor.redact(&reason),
                };
                c
            }
        };
        chain.require_downgrades = m.require_downgrades;
        let order = chain.verify().order;
        Ok(PythonToolDriver {
            kind: m.tool,
            python,
            prefix,
            tool,
            pool,
            redactor: redactor.clone(),
            chain,
            order,
            versions,
        })
    }

    fn display_name(&self) -> &'static str {
        match self.kind {
            ToolKind::Flask => "flask db",
            _ => "alembic",
        }
    }

    fn shown(&self, args: &[String]) -> String {
        format!("{} {}", self.display_name(), args.join(" "))
    }

    /// Runs the project's CLI (the user's app for Flask) as a real process.
    async fn run_cli(&self, db: &DbTarget, mut args: Vec<String>) -> Execution {
        // click (flask) reads `-1` as an option; `--` ends options for click and argparse.
        if args
            .last()
            .is_some_and(|a| a.starts_with('-') && a[1..].parse::<i32>().is_ok())
        {
            let last = args.pop().expect("checked");
            args.push("--".into());
            args.push(last);
        }
        let mut argv = self.prefix.clone();
        argv.extend(args.iter().cloned());
        self.tool.run(db, argv, &self.shown(&args)).await
    }

    /// One migration command in a worker.
    async fn migrate(
        &self,
        db: &DbTarget,
        cmd: &str,
        target: String,
        stop: Option<(String, usize)>,
    ) -> Execution {
        let shown = self.shown(&[cmd.to_string(), target.clone()]);
        let mut req = json!({"cmd": cmd, "target": target, "url": self.tool.url(db)});
        if let Some((rev, k)) = stop {
            req["stop_revision"] = json!(rev);
            req["stop_after"] = json!(k);
        }
        let reply = self.pool.call(req, db.timeout).await;
        execution(
            shown,
            reply,
            db.timeout,
            &self.redactor,
            WorkerScript::Alembic,
        )
    }

    fn resolve_stamp_target(&self, target: &Target, current: Option<&str>) -> Result<String> {
        match target {
            Target::Relative(_) => match target.resolve(&self.order, current) {
                Ok(Some(r)) => Ok(r),
                Ok(None) => Ok("base".into()),
                Err(e) => Err(HarnessError::usage(e)),
            },
            t => Ok(t.to_string()),
        }
    }
}

/// The worker's `model` answer: per table, its statements in order.
fn model_from_reply(
    v: &serde_json::Value,
) -> std::result::Result<Vec<CodeStatement>, ModelUnavailable> {
    #[derive(serde::Deserialize)]
    struct Wire {
        op: crate::compat::Op,
        sql: String,
        params: Vec<crate::compat::Param>,
    }
    #[derive(serde::Deserialize)]
    struct Table {
        table: String,
        statements: Vec<Wire>,
    }
    #[derive(serde::Deserialize)]
    struct Model {
        tables: Vec<Table>,
    }
    let m: Model = serde_json::from_value(v.clone()).map_err(|e| ModelUnavailable {
        reason: format!("the worker's model answer is malformed: {e}"),
    })?;
    Ok(m.tables
        .into_iter()
        .flat_map(|t| {
            let table = t.table;
            t.statements.into_iter().map(move |w| CodeStatement {
                table: Some(table.clone()),
                op: w.op,
                name: None,
                sql: w.sql,
                params: w.params,
            })
        })
        .collect())
}

/// A worker's reply (or its absence) as an `Execution`.
pub(super) fn execution(
    command: String,
    reply: std::result::Result<Reply, WorkerFailure>,
    timeout: Duration,
    redactor: &Redactor,
    script: WorkerScript,
) -> Execution {
    let mut e = Execution::not_started(redactor.redact(&command), String::new());
    match reply {
        Ok(r) => {
            let mut log = r.log.trim_end().to_string();
            if log.trim().is_empty() {
                // env.py without logging config: say what ran, as Alembic's own log would.
                log = r
                    .steps
                    .iter()
                    .map(|s| {
                        let (from, to) = if s.direction == "upgrade" {
                            (s.from.join(", "), s.revision.clone())
                        } else {
                            (s.revision.clone(), String::new())
                        };
                        format!(
                            "INFO  [alembic.runtime.migration] Running {} {from} -> {to}, {}",
                            s.direction, s.doc
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            if let Some(x) = r.exception.as_deref().filter(|_| !r.ok) {
                log.push_str(if log.is_empty() { "" } else { "\n" });
                log.push_str(x.trim_end());
            }
            e.stderr = redactor.redact(&super::process::clean_text(&log));
            e.duration_ms = r.duration_ms;
            e.outcome = if r.ok {
                Outcome::Succeeded
            } else {
                Outcome::Failed
            };
            if !r.ok {
                e.error = r
                    .error
                    .or_else(|| crate::db::parse_error_text(r.exception.as_deref().unwrap_or("")));
                e.failed_revision = r.failed_revision;
            }
            e.statements = r.statements;
            for s in &mut e.statements {
                s.sql = redactor.redact(&s.sql);
            }
            e.failed_statement = e.failure_point().map(|f| f.statement);
            e.failed_at = r.failed_at;
            if r.crashed {
                e.error = None;
            }
        }
        Err(WorkerFailure::TimedOut) => {
            e.outcome = Outcome::TimedOut {
                seconds: timeout.as_secs(),
            };
            e.duration_ms = timeout.as_millis() as u64;
            e.stderr = format!(
                "no answer from {} within {} s; it was killed (the next command starts a fresh one)",
                script.name(),
                timeout.as_secs()
            );
        }
        Err(WorkerFailure::Died { detail }) => {
            e.outcome = Outcome::Failed;
            e.stderr = redactor.redact(&format!(
                "{detail}\n(the next command starts a fresh worker)"
            ));
        }
        Err(WorkerFailure::NotStarted { reason }) => {
            e.outcome = Outcome::NotStarted {
                reason: redactor.redact(&reason),
            };
        }
    }
    e
}

/// The graph as Alembic's `ScriptDirectory` loaded it.
fn chain_from_graph(v: &serde_json::Value) -> std::result::Result<Chain, String> {
    let strings = |x: &serde_json::Value| -> Vec<String> {
        x.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let revs = v["revisions"]
        .as_array()
        .ok_or("the Alembic worker returned no revision list")?;
    let revisions = revs
        .iter()
        .map(|r| Revision {
            id: r["id"].as_str().unwrap_or_default().to_string(),
            parents: strings(&r["parents"]),
            description: r["description"].as_str().unwrap_or_default().to_string(),
            file: r["file"].as_str().map(PathBuf::from),
            line: r["line"].as_u64().map(|l| l as usize),
            downgrade: match r["downgrade"].as_str() {
                Some("empty") => DowngradeKind::Empty,
                Some("missing") => DowngradeKind::Missing,
                _ => DowngradeKind::Present,
            },
            branch_labels: strings(&r["branch_labels"]),
            depends_on: strings(&r["depends_on"]),
        })
        .collect();
    Ok(Chain {
        revisions,
        source: GraphSource::Tool {
            name: "Alembic ScriptDirectory".into(),
        },
        ..Default::default()
    })
}

#[async_trait::async_trait]
impl MigrationDriver for PythonToolDriver {
    fn tool(&self) -> ToolKind {
        self.kind
    }

    fn chain(&self) -> &Chain {
        &self.chain
    }

    fn version_table(&self) -> &str {
        "alembic_version"
    }

    async fn upgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.migrate(db, "upgrade", target.to_string(), None).await
    }

    async fn upgrade_interrupted(
        &self,
        db: &DbTarget,
        target: &Target,
        stop_after: usize,
    ) -> Option<Execution> {
        let rev = match target {
            Target::Revision(r) => r.clone(),
            Target::Head => self.order.last()?.clone(),
            _ => return None,
        };
        Some(
            self.migrate(db, "upgrade", target.to_string(), Some((rev, stop_after)))
                .await,
        )
    }

    async fn downgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.migrate(db, "downgrade", target.to_string(), None)
            .await
    }

    async fn stamp(&self, db: &DbTarget, target: &Target) -> Execution {
        // `stamp` cannot take relative steps; resolve them against the version table first.
        let cur = match target {
            Target::Relative(_) => self
                .version(db)
                .await
                .ok()
                .and_then(|v| v.current(&self.order)),
            _ => None,
        };
        match self.resolve_stamp_target(target, cur.as_deref()) {
            Ok(t) => self.migrate(db, "stamp", t, None).await,
            Err(e) => Execution::not_started(
                self.shown(&["stamp".into(), target.to_string()]),
                e.to_string(),
            ),
        }
    }

    async fn version(&self, db: &DbTarget) -> std::result::Result<VersionState, String> {
        let rows = super::read_version_rows(db, "alembic_version", "version_num").await?;
        Ok(VersionState {
            rows,
            dirty: false,
            style: VersionStyle::Single,
        })
    }

    async fn model_check(&self, db: &DbTarget) -> Option<Execution> {
        // Flask's models live in the user's app, so its check runs the real CLI; a plain
        // Alembic env.py imports its own metadata, so the worker runs it.
        let mut e = match self.kind {
            ToolKind::Flask => self.run_cli(db, vec!["check".into()]).await,
            _ => self.migrate(db, "check", String::new(), None).await,
        };
        e.command = format!("{} check", self.display_name());
        let text = e.log();
        if !e.ok()
            && (text.contains("does not provide a MetaData")
                || text.contains("No such command 'check'"))
        {
            e.outcome = Outcome::NotStarted {
                reason: "env.py has no target metadata to compare".into(),
            };
        }
        Some(e)
    }

    async fn shutdown(&self) {
        self.pool.shutdown().await;
    }

    async fn model_statements(
        &self,
        db: &DbTarget,
    ) -> Option<std::result::Result<Vec<CodeStatement>, ModelUnavailable>> {
        let req = json!({"cmd": "model", "url": self.tool.url(db)});
        let why = match self.pool.call(req, db.timeout).await {
            Ok(r) if r.ok => return Some(model_from_reply(&r.result)),
            Ok(r) => super::process::last_line(r.exception.as_deref().unwrap_or(&r.log)),
            Err(f) => format!("{f:?}"),
        };
        Some(Err(ModelUnavailable {
            reason: self.redactor.redact(&why),
        }))
    }

    async fn deploy(&self, db: &DbTarget) -> Option<Execution> {
        let args = match self.kind {
            ToolKind::Flask => vec!["upgrade".into()],
            _ => vec!["upgrade".into(), "head".into()],
        };
        Some(self.run_cli(db, args).await)
    }

    async fn app_command(&self, db: &DbTarget, command: &str) -> Execution {
        let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
        let py = self.python.display().to_string();
        let argv: Vec<String> = match words.first().map(String::as_str) {
            Some("flask") => {
                let mut v = vec![py, "-m".into(), "flask".into()];
                if !words.iter().any(|w| w == "--app") {
                    if let Some(i) = self.prefix.iter().position(|w| w == "--app") {
                        v.extend(self.prefix[i..i + 2].iter().cloned());
                    }
                }
                v.extend(words[1..].iter().cloned());
                v
            }
            Some("alembic") => {
                let mut v = self.prefix.clone();
                if self.kind == ToolKind::Flask {
                    v = vec![py, "-m".into(), "alembic".into()];
                }
                v.extend(words[1..].iter().cloned());
                v
            }
            Some("python") | Some("python3") => std::iter::once(py)
                .chain(words[1..].iter().cloned())
                .collect(),
            _ => words.clone(),
        };
        self.tool.run(db, argv, command).await
    }

    fn commands(&self) -> ToolCommands {
        // Valid commands as a person types them (`alembic upgrade` alone is rejected).
        match self.kind {
            ToolKind::Flask => ToolCommands {
                upgrade: "flask db upgrade".into(),
                current: "flask db current".into(),
                downgrade_to: "flask db downgrade".into(),
            },
            _ => ToolCommands {
                upgrade: "alembic upgrade head".into(),
                current: "alembic current".into(),
                downgrade_to: "alembic downgrade".into(),
            },
        }
    }

    fn versions(&self) -> Vec<(String, String)> {
        self.versions.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_from_alembic_keeps_merges_labels_and_odd_ids() {
        let v = json!({"revisions": [
            {"id": "v3.2.0.a", "parents": [], "branch_labels": ["core"], "depends_on": [], "description": "base", "file": "/x/a.py", "line": 7, "downgrade": "present"},
            {"id": "b-1", "parents": ["v3.2.0.a"], "branch_labels": [], "depends_on": [], "description": "", "file": null, "line": null, "downgrade": "empty"},
            {"id": "b-2", "parents": ["v3.2.0.a"], "branch_labels": [], "depends_on": ["b-1"], "description": "", "file": null, "line": null, "downgrade": "missing"},
            {"id": "m", "parents": ["b-1", "b-2"], "branch_labels": [], "depends_on": [], "description": "merge", "file": null, "line": null, "downgrade": "present"}
        ], "heads": ["m"]});
        let c = chain_from_graph(&v).unwrap();
        assert_eq!(c.revisions[3].parents, ["b-1", "b-2"]);
        assert_eq!(c.revisions[0].branch_labels, ["core"]);
        assert_eq!(c.revisions[1].downgrade, DowngradeKind::Empty);
        assert_eq!(c.revisions[2].downgrade, DowngradeKind::Missing);
        let r = c.verify();
        assert_eq!(r.heads, ["m"]);
        assert_eq!(r.order.first().map(String::as_str), Some("v3.2.0.a"));
        let b1 = r.order.iter().position(|x| x == "b-1").unwrap();
        let b2 = r.order.iter().position(|x| x == "b-2").unwrap();
        assert!(b1 < b2, "depends_on orders b-2 after b-1: {:?}", r.order);
    }
}
