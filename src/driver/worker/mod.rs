//! `WorkerPool`: warm Python processes that run Alembic in-process (`mh_worker.py`, shipped
//! inside the binary), one JSON request and one JSON reply per line. A worker that dies or
//! hangs is killed and replaced; the next command gets a fresh one.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::process::Registered;
use super::statement::{SourceLine, StatementOutcome, StatementRecord, StatementSource};
use crate::db::ServerError;
use crate::error::{HarnessError, Result};

const SCRIPT: &str = include_str!("mh_worker.py");
/// Importing SQLAlchemy, Alembic and Flask takes about a second; a loaded machine may need more.
const READY_TIMEOUT: Duration = Duration::from_secs(120);
const STDERR_TAIL: usize = 16 * 1024;

/// How to start a worker: the interpreter, the project's directory and environment, and the
/// worker's own settings (mode, alembic.ini or migrations directory, -x arguments, …).
#[derive(Debug, Clone)]
pub struct WorkerSpec {
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

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    _group: Option<Registered>,
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
        let status = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
        let how = match status {
            Ok(Ok(s)) => match (s.code(), std::os::unix::process::ExitStatusExt::signal(&s)) {
                (Some(c), _) => format!("exited with status {c}"),
                (None, Some(sig)) => format!("was killed by signal {sig}"),
                _ => "ended".to_string(),
            },
            _ => "stopped answering".to_string(),
        };
        let tail = self.stderr_tail();
        if tail.is_empty() {
            format!("the Alembic worker {how}")
        } else {
            format!(
                "the Alembic worker {how}; its last output:\n{}",
                last_lines(&tail, 15)
            )
        }
    }
}

fn last_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Writes the shipped worker script into the cache (once per content) and returns its path.
fn script_path() -> Result<PathBuf> {
    let hash = format!("{:x}", Sha256::digest(SCRIPT.as_bytes()));
    let dir = super::python::cache_dir().join("worker").join(&hash[..16]);
    let path = dir.join("mh_worker.py");
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| HarnessError::env(format!("cannot create {}: {e}", dir.display())))?;
    let tmp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| HarnessError::env(format!("cannot write into {}: {e}", dir.display())))?;
    std::fs::write(tmp.path(), SCRIPT)
        .map_err(|e| HarnessError::env(format!("cannot write the worker script: {e}")))?;
    tmp.persist(&path)
        .map_err(|e| HarnessError::env(format!("cannot write the worker script: {e}")))?;
    Ok(path)
}

/// The Python versions and packages the worker reported at start-up.
pub type Versions = Vec<(String, String)>;

pub struct WorkerPool {
    spec: WorkerSpec,
    script: PathBuf,
    idle: Mutex<Vec<Worker>>,
}

impl WorkerPool {
    /// Starts the first worker (so a missing package is reported before any server starts).
    pub async fn start(spec: WorkerSpec) -> Result<(WorkerPool, Versions)> {
        let script = script_path()?;
        let pool = WorkerPool {
            spec,
            script,
            idle: Mutex::new(Vec::new()),
        };
        let (worker, versions) = pool.spawn().await.map_err(|f| match f {
            WorkerFailure::NotStarted { reason } => HarnessError::env(reason),
            other => HarnessError::env(format!("the Alembic worker did not start: {other:?}")),
        })?;
        pool.release(worker);
        Ok((pool, versions))
    }

    async fn spawn(&self) -> std::result::Result<(Worker, Versions), WorkerFailure> {
        let not_started = |reason: String| WorkerFailure::NotStarted { reason };
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
        let mut child = cmd.spawn().map_err(|e| {
            not_started(format!(
                "cannot start {}: {e} (set [python] python or requirements in harness.toml)",
                self.spec.python.display()
            ))
        })?;
        let group = child.id().map(|p| Registered::new(p as i32));
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let mut err_pipe = child.stderr.take().expect("piped");
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = err_pipe.read(&mut buf).await {
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
        let mut worker = Worker {
            child,
            stdin,
            stdout,
            stderr,
            _group: group,
        };
        let ready = tokio::time::timeout(READY_TIMEOUT, worker.stdout.next_line()).await;
        let line = match ready {
            Ok(Ok(Some(l))) => l,
            Ok(_) => return Err(not_started(worker.death().await)),
            Err(_) => {
                return Err(not_started(format!(
                    "the Alembic worker did not start within {} s",
                    READY_TIMEOUT.as_secs()
                )))
            }
        };
        let hello: Value = serde_json::from_str(&line)
            .map_err(|e| not_started(format!("the Alembic worker said {line:?}: {e}")))?;
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
                        "the Alembic worker answered something unreadable ({e}): {text:.200}"
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
                mut child,
                stdin,
                _group,
                ..
            } = w;
            drop(stdin);
            if tokio::time::timeout(Duration::from_secs(2), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
            drop(_group);
        }))
        .await;
    }
}
