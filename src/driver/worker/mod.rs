//! `WorkerPool`: warm Python processes that run Alembic (`mh_worker.py`) or Django
//! (`mh_django.py`) in-process, both shipped inside the binary, one JSON request and one JSON
//! reply per line. A worker that dies or hangs is killed and replaced; the next command gets a
//! fresh one. Alembic workers are forked from a `Zygote` that imported the libraries once
//! (`MH_ZYGOTE=off`: each starts its own interpreter, as it does whenever the zygote cannot
//! start).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, Lines,
};
use tokio::process::{Child, Command};

use super::groups::Registered;
use super::statement::{SourceLine, StatementOutcome, StatementRecord, StatementSource};
use crate::db::ServerError;
use crate::error::{HarnessError, Result};

mod zygote;
pub use zygote::{ChildPipes, Ended, Forked, Zygote};

const SCRIPT: &str = include_str!("mh_worker.py");
/// The Django worker imports the protocol helpers of `mh_worker.py`, written beside it.
const DJANGO_SCRIPT: &str = include_str!("mh_django.py");

/// Which worker script a pool runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerScript {
    /// Alembic and Flask-Migrate (`mh_worker.py`).
    Alembic,
    /// Django's `migrate` and `MigrationLoader` (`mh_django.py`).
    Django,
}

impl WorkerScript {
    fn file(self) -> &'static str {
        match self {
            WorkerScript::Alembic => "mh_worker.py",
            WorkerScript::Django => "mh_django.py",
        }
    }

    /// How messages name the worker.
    pub fn name(self) -> &'static str {
        match self {
            WorkerScript::Alembic => "the Alembic worker",
            WorkerScript::Django => "the Django worker",
        }
    }
}
/// Importing SQLAlchemy, Alembic and Flask takes about a second; a loaded machine may need more.
const READY_TIMEOUT: Duration = Duration::from_secs(120);
const STDERR_TAIL: usize = 16 * 1024;

/// How to start a worker: the interpreter, the project's directory and environment, and the
/// worker's own settings (mode, alembic.ini or migrations directory, -x arguments, …).
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    pub script: WorkerScript,
    pub python: PathBuf,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub conf: Value,
}

/// Why a call produced no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerFailure {
    /// No reply within the step's timeout; the worker was killed.
    TimedOut,
    /// The process ended (killed, crashed) before replying; what it last printed.
    Died { detail: String },
    /// A worker could not be started at all.
    NotStarted { reason: String },
}

/// One revision's upgrade() or downgrade() that ran during a call.
#[derive(Debug, Clone, Deserialize)]
pub struct StepRun {
    pub revision: String,
    pub direction: String,
    #[serde(default)]
    pub from: Vec<String>,
    #[serde(default)]
    pub doc: String,
}

#[derive(Debug, Clone, Deserialize)]
struct WireStatement {
    revision: Option<String>,
    source: String,
    sql: String,
    status: String,
    #[serde(default)]
    error: Option<ServerError>,
    #[serde(default)]
    duration_ms: u64,
    /// The revision file and the line in it that sent the statement.
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line: Option<usize>,
}

impl WireStatement {
    /// Where the first migration statement the server refused was sent from.
    fn failed_at(all: &[WireStatement]) -> Option<SourceLine> {
        let w = all
            .iter()
            .find(|w| w.source == "migration" && w.status != "applied")?;
        Some(SourceLine {
            file: w.file.clone()?,
            line: w.line?,
        })
    }
}

impl From<WireStatement> for StatementRecord {
    fn from(w: WireStatement) -> Self {
        StatementRecord {
            revision: w.revision,
            source: match w.source.as_str() {
                "migration" => StatementSource::Migration,
                "introspection" => StatementSource::Introspection,
                _ => StatementSource::VersionTable,
            },
            sql: w.sql,
            outcome: if w.status == "applied" {
                StatementOutcome::Applied
            } else {
                StatementOutcome::Failed { error: w.error }
            },
            duration_ms: w.duration_ms,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct WireReply {
    ok: bool,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    error: Option<ServerError>,
    #[serde(default)]
    crashed: bool,
    #[serde(default)]
    exception: Option<String>,
    #[serde(default)]
    failed_revision: Option<String>,
    #[serde(default)]
    log: String,
    #[serde(default)]
    steps: Vec<StepRun>,
    #[serde(default)]
    statements: Vec<WireStatement>,
    #[serde(default)]
    duration_ms: u64,
}

/// A worker's answer to one command.
#[derive(Debug, Clone)]
pub struct Reply {
    pub ok: bool,
    pub result: Value,
    pub error: Option<ServerError>,
    /// The command was stopped on purpose (`stop_after`), as a crash would stop it.
    pub crashed: bool,
    /// Python traceback of a failed command.
    pub exception: Option<String>,
    pub failed_revision: Option<String>,
    /// What the project's code and Alembic's logging printed.
    pub log: String,
    pub steps: Vec<StepRun>,
    pub statements: Vec<StatementRecord>,
    /// The line of the revision file that sent the refused statement.
    pub failed_at: Option<SourceLine>,
    pub duration_ms: u64,
}

/// A worker's process: started by the harness, or forked by the zygote.
enum Proc {
    Spawned(Child),
    Forked(Forked),
}

impl Proc {
    /// How it ended, within `limit`; None if it still runs.
    async fn ended(&mut self, limit: Duration) -> Option<String> {
        let how = |code: Option<i32>, sig: Option<i32>| match (code, sig) {
            (Some(c), _) => format!("exited with status {c}"),
            (None, Some(s)) => format!("was killed by signal {s}"),
            _ => "ended".to_string(),
        };
        match self {
            Proc::Spawned(c) => match tokio::time::timeout(limit, c.wait()).await {
                Ok(Ok(s)) => Some(how(
                    s.code(),
                    std::os::unix::process::ExitStatusExt::signal(&s),
                )),
                _ => None,
            },
            Proc::Forked(f) => match tokio::time::timeout(limit, f.wait()).await {
                Ok(Ended::Exited(c)) => Some(how(Some(c), None)),
                Ok(Ended::Signalled(s)) => Some(how(None, Some(s))),
                Ok(Ended::Unknown) => Some("ended".into()),
                Err(_) => None,
            },
        }
    }

    async fn kill(&mut self) {
        match self {
            Proc::Spawned(c) => {
                let _ = c.kill().await;
            }
            Proc::Forked(f) => f.kill(),
        }
    }
}

struct Worker {
    proc: Proc,
    stdin: Box<dyn AsyncWrite + Send + Unpin>,
    stdout: Lines<BufReader<Box<dyn AsyncRead + Send + Unpin>>>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    _group: Option<Registered>,
    name: &'static str,
}

impl Worker {
    fn stderr_tail(&self) -> String {
        let b: Vec<u8> = self
            .stderr
            .lock()
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default();
        String::from_utf8_lossy(&b).trim().to_string()
    }

    async fn death(&mut self) -> String {
        let how = self
            .proc
            .ended(Duration::from_secs(2))
            .await
            .unwrap_or_else(|| "stopped answering".to_string());
        let tail = self.stderr_tail();
        if tail.is_empty() {
            format!("{} {how}", self.name)
        } else {
            format!(
                "{} {how}; its last output:\n{}",
                self.name,
                last_lines(&tail, 15)
            )
        }
    }
}

/// Keeps the last `STDERR_TAIL` bytes of what a worker writes to stderr.
fn tail(mut pipe: impl AsyncRead + Send + Unpin + 'static) -> Arc<Mutex<VecDeque<u8>>> {
    let stderr = Arc::new(Mutex::new(VecDeque::new()));
    let sink = stderr.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf).await {
            if n == 0 {
                break;
            }
            if let Ok(mut q) = sink.lock() {
                q.extend(&buf[..n]);
                let excess = q.len().saturating_sub(STDERR_TAIL);
                q.drain(..excess);
            }
        }
    });
    stderr
}

fn last_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Writes the shipped worker scripts into the cache (once per content, both in one
/// directory: the Django worker imports `mh_worker`) and returns the path of `script`'s.
fn script_path(script: WorkerScript) -> Result<PathBuf> {
    let mut h = Sha256::new();
    h.update(SCRIPT.as_bytes());
    h.update(DJANGO_SCRIPT.as_bytes());
    let hash = format!("{:x}", h.finalize());
    let dir = super::python::cache_dir().join("worker").join(&hash[..16]);
    for (file, text) in [("mh_worker.py", SCRIPT), ("mh_django.py", DJANGO_SCRIPT)] {
        let path = dir.join(file);
        if path.exists() {
            continue;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| HarnessError::env(format!("cannot create {}: {e}", dir.display())))?;
        let tmp = tempfile::NamedTempFile::new_in(&dir)
            .map_err(|e| HarnessError::env(format!("cannot write into {}: {e}", dir.display())))?;
        std::fs::write(tmp.path(), text)
            .map_err(|e| HarnessError::env(format!("cannot write the worker script: {e}")))?;
        tmp.persist(&path)
            .map_err(|e| HarnessError::env(format!("cannot write the worker script: {e}")))?;
    }
    Ok(dir.join(script.file()))
}

/// The Python versions and packages the worker reported at start-up.
pub type Versions = Vec<(String, String)>;

pub struct WorkerPool {
    spec: WorkerSpec,
    script: PathBuf,
    idle: Mutex<Vec<Worker>>,
    zygote: Option<Arc<Zygote>>,
}

/// Whether workers and Python tool commands are forked from a zygote (`MH_ZYGOTE=off`: no).
fn zygote_enabled() -> bool {
    std::env::var("MH_ZYGOTE").map_or(true, |v| v != "off")
}

impl WorkerPool {
    /// Starts the first worker (so a missing package is reported before any server starts).
    pub async fn start(spec: WorkerSpec) -> Result<(WorkerPool, Versions)> {
        let name = spec.script.name();
        let script = script_path(spec.script)?;
        // Only the Alembic worker has a zygote: it preloads Alembic's libraries, not Django's.
        let zygote = if zygote_enabled() && spec.script == WorkerScript::Alembic {
            // Without one, every worker starts its own interpreter, as before.
            Zygote::start(
                &spec.python,
                &script,
                &spec.cwd,
                &spec.env,
                &spec.conf,
                READY_TIMEOUT,
            )
            .await
            .ok()
            .map(Arc::new)
        } else {
            None
        };
        let pool = WorkerPool {
            spec,
            script,
            idle: Mutex::new(Vec::new()),
            zygote,
        };
        let (worker, versions) = pool.spawn().await.map_err(|f| match f {
            WorkerFailure::NotStarted { reason } => HarnessError::env(reason),
            other => HarnessError::env(format!("{} did not start: {other:?}", name)),
        })?;
        pool.release(worker);
        Ok((pool, versions))
    }

    /// The zygote the Python tool commands can be forked from, if it runs.
    pub fn zygote(&self) -> Option<Arc<Zygote>> {
        self.zygote.clone()
    }

    /// A worker process: forked from the zygote, or (without one, or if it fails) started.
    async fn process(&self) -> std::result::Result<Worker, WorkerFailure> {
        if let Some(z) = &self.zygote {
            if let Ok((forked, pipes)) = z.worker(&self.spec.conf).await {
                let ChildPipes {
                    stdin,
                    stdout,
                    stderr,
                } = pipes;
                let Some(stdin) = stdin else {
                    unreachable!("a worker is always given its stdin")
                };
                return Ok(Worker {
                    proc: Proc::Forked(forked),
                    stdin: Box::new(stdin),
                    stdout: BufReader::new(Box::new(stdout) as Box<dyn AsyncRead + Send + Unpin>)
                        .lines(),
                    stderr: tail(stderr),
                    _group: None,
                    name: self.spec.script.name(),
                });
            }
        }
        let mut cmd = Command::new(&self.spec.python);
        cmd.arg("-u")
            .arg(&self.script)
            .arg(self.spec.conf.to_string())
            .current_dir(&self.spec.cwd)
            .envs(self.spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PYTHONUNBUFFERED", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| WorkerFailure::NotStarted {
            reason: format!(
                "cannot start {}: {e} (set [python] python or requirements in harness.toml)",
                self.spec.python.display()
            ),
        })?;
        let group = child.id().map(|p| Registered::new(p as i32));
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let stderr = tail(child.stderr.take().expect("piped"));
        Ok(Worker {
            proc: Proc::Spawned(child),
            stdin: Box::new(stdin),
            stdout: BufReader::new(Box::new(stdout) as Box<dyn AsyncRead + Send + Unpin>).lines(),
            stderr,
            _group: group,
            name: self.spec.script.name(),
        })
    }

    async fn spawn(&self) -> std::result::Result<(Worker, Versions), WorkerFailure> {
        let not_started = |reason: String| WorkerFailure::NotStarted { reason };
        let mut worker = self.process().await?;
        let ready = tokio::time::timeout(READY_TIMEOUT, worker.stdout.next_line()).await;
        let line = match ready {
            Ok(Ok(Some(l))) => l,
            Ok(_) => return Err(not_started(worker.death().await)),
            Err(_) => {
                return Err(not_started(format!(
                    "{} did not start within {} s",
                    self.spec.script.name(),
                    READY_TIMEOUT.as_secs()
                )))
            }
        };
        let hello: Value = serde_json::from_str(&line)
            .map_err(|e| not_started(format!("{} said {line:?}: {e}", self.spec.script.name())))?;
        let versions: Versions = hello["versions"]
            .as_array()
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|p| Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        if hello["ready"] != Value::Bool(true) {
            let missing = hello["missing"][0].as_array().cloned().unwrap_or_default();
            let module = missing.first().and_then(Value::as_str).unwrap_or("alembic");
            let dist = missing.get(1).and_then(Value::as_str).unwrap_or(module);
            let py = self.spec.python.display();
            return Err(not_started(format!(
                "{module} is not importable by {py}: install it with `{py} -m pip install {dist}` \
                 (or name a requirements file under [python] in harness.toml)"
            )));
        }
        Ok((worker, versions))
    }

    fn release(&self, w: Worker) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(w);
        }
    }

    async fn acquire(&self) -> std::result::Result<Worker, WorkerFailure> {
        let reused = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match reused {
            Some(w) => Ok(w),
            None => self.spawn().await.map(|(w, _)| w),
        }
    }

    /// Sends one request; the worker goes back to the pool only after a clean reply.
    pub async fn call(
        &self,
        request: Value,
        timeout: Duration,
    ) -> std::result::Result<Reply, WorkerFailure> {
        let mut w = self.acquire().await?;
        let mut line = request.to_string();
        line.push('\n');
        let exchange = async {
            w.stdin.write_all(line.as_bytes()).await?;
            w.stdin.flush().await?;
            w.stdout.next_line().await
        };
        let answer = tokio::time::timeout(timeout, exchange).await;
        let text = match answer {
            Err(_) => return Err(WorkerFailure::TimedOut), // dropping `w` kills its group
            Ok(Ok(Some(t))) => t,
            Ok(_) => {
                return Err(WorkerFailure::Died {
                    detail: w.death().await,
                })
            }
        };
        let wire: WireReply = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                return Err(WorkerFailure::Died {
                    detail: format!(
                        "{} answered something unreadable ({e}): {text:.200}",
                        self.spec.script.name()
                    ),
                })
            }
        };
        self.release(w);
        Ok(Reply {
            ok: wire.ok,
            result: wire.result,
            error: wire.error,
            crashed: wire.crashed,
            exception: wire.exception,
            failed_revision: wire.failed_revision,
            log: wire.log,
            steps: wire.steps,
            failed_at: WireStatement::failed_at(&wire.statements),
            statements: wire.statements.into_iter().map(Into::into).collect(),
            duration_ms: wire.duration_ms,
        })
    }

    /// Ends every idle worker: EOF on its stdin ends its loop; one that does not exit within
    /// two seconds is killed. Waiting reaps them, so no zombie outlives the run.
    pub async fn shutdown(&self) {
        let workers: Vec<Worker> = self
            .idle
            .lock()
            .map(|mut i| std::mem::take(&mut *i))
            .unwrap_or_default();
        // Dropping stdin closes the pipe (an AsyncWrite shutdown does not); all at once.
        futures_util::future::join_all(workers.into_iter().map(|w| async move {
            let Worker {
                mut proc,
                stdin,
                _group,
                ..
            } = w;
            drop(stdin);
            if proc.ended(Duration::from_secs(2)).await.is_none() {
                proc.kill().await;
            }
            drop(_group);
        }))
        .await;
        if let Some(z) = &self.zygote {
            z.shutdown().await;
        }
    }
}
