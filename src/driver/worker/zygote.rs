//! `Zygote`: a Python process that imports the tool's libraries once (SQLAlchemy, Alembic,
//! Flask-Migrate; never the project's app) and forks every worker and every real-process
//! tool command from there. A fresh interpreter spends most of a short command importing
//! those libraries; a forked one starts with them loaded. Each child is still its own
//! process and process group, with its own pipes, environment and exit status.
//!
//! Requests go over a `SOCK_SEQPACKET` pair (one JSON request and the child's pipe ends per
//! message, passed with `SCM_RIGHTS`); the zygote answers on its stdout with the child's pid
//! and, once it has reaped it, how it ended.

use std::collections::HashMap;
use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::socket::{self, ControlMessage, MsgFlags};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::driver::groups::Registered;

/// Why the zygote could not start or fork; the caller falls back to a fresh interpreter.
#[derive(Debug, thiserror::Error)]
pub enum ZygoteError {
    #[error("socketpair: {0}")]
    SocketPair(nix::Error),
    #[error("cannot start {}: {source}", python.display())]
    Spawn {
        python: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No `ready` line within the timeout; `seen` is what came instead.
    #[error("the zygote did not start: {seen}")]
    NotReady { seen: String },
    #[error("cannot make a pipe: {0}")]
    Pipe(#[source] std::io::Error),
    #[error("zygote state poisoned")]
    Poisoned,
    #[error("the zygote was shut down")]
    ShutDown,
    /// Sending the request failed, or the zygote ended before answering.
    #[error("the zygote is gone{}", .0.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Gone(Option<nix::Error>),
    /// The zygote's own `fork()` failed.
    #[error("the zygote could not fork: {0}")]
    Fork(String),
}

/// What the zygote says about one child.
#[derive(Debug)]
enum Note {
    Pid(i32),
    Exit(i32),
    Signal(i32),
    Error(String),
}

/// How a forked child ended, as the zygote reaped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Signalled(i32),
    /// The zygote went away before it could say.
    Unknown,
}

type Pending = Arc<Mutex<HashMap<u64, UnboundedSender<Note>>>>;

pub struct Zygote {
    sock: Mutex<Option<OwnedFd>>,
    pending: Pending,
    next: AtomicU64,
    child: tokio::sync::Mutex<Option<Child>>,
    _group: Option<Registered>,
}

/// A child the zygote forked: its process group is killed when this is dropped.
pub struct Forked {
    pub pid: i32,
    group: Option<Registered>,
    notes: UnboundedReceiver<Note>,
    ended: Option<Ended>,
}

impl Forked {
    /// Waits until the zygote has reaped the child.
    pub async fn wait(&mut self) -> Ended {
        if let Some(e) = self.ended {
            return e;
        }
        let e = loop {
            match self.notes.recv().await {
                Some(Note::Exit(c)) => break Ended::Exited(c),
                Some(Note::Signal(s)) => break Ended::Signalled(s),
                Some(_) => continue,
                None => break Ended::Unknown,
            }
        };
        self.ended = Some(e);
        e
    }

    /// Kills the child's process group (and whatever it started).
    pub fn kill(&mut self) {
        self.group.take();
    }
}

/// A pipe whose write end goes to a child.
fn pipe_pair() -> std::io::Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(std::io::Error::from)
}

/// Standard output, standard error (and for a worker standard input) of one child.
pub struct ChildPipes {
    pub stdin: Option<pipe::Sender>,
    pub stdout: pipe::Receiver,
    pub stderr: pipe::Receiver,
}

/// Starts the worker script as an imported module rather than as `__main__`: Python caches
/// an imported module's bytecode (in the harness's own cache directory, even where the user
/// set PYTHONDONTWRITEBYTECODE) but compiles a script on every start, and the whole run
/// waits for this start. `sys.path[0]` is the script's directory, as when run as a script.
const IMPORT_WORKER: &str = "import os, sys\n\
sys.path[0] = os.path.dirname(sys.argv.pop(1))\n\
keep = sys.dont_write_bytecode\n\
sys.dont_write_bytecode = False\n\
import mh_worker\n\
sys.dont_write_bytecode = keep\n\
mh_worker.main()\n";

impl Zygote {
    /// Starts the zygote and waits until it has imported what it preloads. `conf` is the
    /// worker's (its mode picks what to preload, its workdir is the project's).
    pub async fn start(
        python: &Path,
        script: &Path,
        cwd: &Path,
        env: &[(String, String)],
        conf: &Value,
        ready_timeout: Duration,
    ) -> Result<Zygote, ZygoteError> {
        let (ours, theirs) = socket::socketpair(
            socket::AddressFamily::Unix,
            socket::SockType::SeqPacket,
            None,
            socket::SockFlag::SOCK_CLOEXEC,
        )
        .map_err(ZygoteError::SocketPair)?;
        let mut cmd = Command::new(python);
        cmd.arg("-u")
            .arg("-c")
            .arg(IMPORT_WORKER)
            .arg(script)
            .arg("--zygote")
            .arg(conf.to_string())
            .current_dir(cwd)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PYTHONUNBUFFERED", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|source| ZygoteError::Spawn {
            python: python.to_path_buf(),
            source,
        })?;
        let group = child.id().map(|p| Registered::new(p as i32));
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        match tokio::time::timeout(ready_timeout, lines.next_line()).await {
            Ok(Ok(Some(l))) if l.contains("\"ready\": true") => {}
            other => {
                return Err(ZygoteError::NotReady {
                    seen: format!("{other:?}"),
                })
            }
        }
        let pending: Pending = Arc::default();
        let routes = pending.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                route(&routes, &line);
            }
            // Gone: every waiting child hears `Unknown`.
            if let Ok(mut p) = routes.lock() {
                p.clear();
            }
        });
        Ok(Zygote {
            sock: Mutex::new(Some(ours)),
            pending,
            next: AtomicU64::new(1),
            child: tokio::sync::Mutex::new(Some(child)),
            _group: group,
        })
    }

    /// Ends the zygote: the closed socket ends its loop; one that does not exit within two
    /// seconds is killed. Waiting reaps it (and with it what its children cost).
    pub async fn shutdown(&self) {
        if let Ok(mut s) = self.sock.lock() {
            s.take();
        }
        if let Some(mut child) = self.child.lock().await.take() {
            if tokio::time::timeout(Duration::from_secs(2), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }

    /// Forks a child for `request` (`kind` "worker" with its `conf`, or "run" with `argv`,
    /// `env`, `cwd`), handing it the pipes; waits for its pid.
    async fn fork(
        &self,
        mut request: Value,
        worker: bool,
    ) -> Result<(Forked, ChildPipes), ZygoteError> {
        let io = ZygoteError::Pipe;
        let (out_r, out_w) = pipe_pair().map_err(io)?;
        let (err_r, err_w) = pipe_pair().map_err(io)?;
        let (stdin, mut give) = if worker {
            let (in_r, in_w) = pipe_pair().map_err(io)?;
            (Some(in_w), vec![in_r])
        } else {
            (None, vec![])
        };
        give.push(out_w);
        give.push(err_w);
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        request["id"] = json!(id);
        let (tx, mut rx) = unbounded_channel();
        self.pending
            .lock()
            .map_err(|_| ZygoteError::Poisoned)?
            .insert(id, tx);
        let sent = {
            let guard = self.sock.lock().map_err(|_| ZygoteError::Poisoned)?;
            let Some(sock) = guard.as_ref() else {
                drop(guard);
                self.forget(id);
                return Err(ZygoteError::ShutDown);
            };
            let raw: Vec<RawFd> = give.iter().map(|f| f.as_raw_fd()).collect();
            let body = request.to_string();
            socket::sendmsg::<()>(
                sock.as_raw_fd(),
                &[IoSlice::new(body.as_bytes())],
                &[ControlMessage::ScmRights(&raw)],
                MsgFlags::empty(),
                None,
            )
        };
        // The child holds its ends now (or never will); ours must close for EOF to reach us.
        drop(give);
        if let Err(e) = sent {
            self.forget(id);
            return Err(ZygoteError::Gone(Some(e)));
        }
        let pid = match rx.recv().await {
            Some(Note::Pid(p)) => p,
            Some(Note::Error(e)) => {
                self.forget(id);
                return Err(ZygoteError::Fork(e));
            }
            _ => return Err(ZygoteError::Gone(None)),
        };
        let pipes = ChildPipes {
            stdin: match stdin {
                Some(fd) => Some(pipe::Sender::from_owned_fd(fd).map_err(io)?),
                None => None,
            },
            stdout: pipe::Receiver::from_owned_fd(out_r).map_err(io)?,
            stderr: pipe::Receiver::from_owned_fd(err_r).map_err(io)?,
        };
        let forked = Forked {
            pid,
            group: Some(Registered::new(pid)),
            notes: rx,
            ended: None,
        };
        Ok((forked, pipes))
    }

    fn forget(&self, id: u64) {
        if let Ok(mut p) = self.pending.lock() {
            p.remove(&id);
        }
    }

    /// An Alembic worker (`mh_worker.py`'s loop with `conf`) forked from the zygote.
    pub async fn worker(&self, conf: &Value) -> Result<(Forked, ChildPipes), ZygoteError> {
        self.fork(json!({"kind": "worker", "conf": conf}), true)
            .await
    }

    /// `python -m MODULE ARGS` (`args` starts at `-m`) with exactly `env`, in `cwd`.
    pub async fn run(
        &self,
        args: &[String],
        env: &[(String, String)],
        cwd: &Path,
    ) -> Result<(Forked, ChildPipes), ZygoteError> {
        let env: serde_json::Map<String, Value> = env
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        self.fork(
            json!({"kind": "run", "argv": args, "env": env, "cwd": cwd}),
            false,
        )
        .await
    }
}

/// Hands one line of the zygote's to the child it is about.
fn route(pending: &Pending, line: &str) {
    let Ok(v) = serde_json::from_str::<Value>(line) else {
        return;
    };
    let Some(id) = v["id"].as_u64() else { return };
    let note = if let Some(p) = v["pid"].as_i64() {
        Note::Pid(p as i32)
    } else if let Some(c) = v["exit"].as_i64() {
        Note::Exit(c as i32)
    } else if let Some(s) = v["signal"].as_i64() {
        Note::Signal(s as i32)
    } else {
        Note::Error(v["error"].as_str().unwrap_or("unknown").to_string())
    };
    let last = !matches!(note, Note::Pid(_));
    let Ok(mut p) = pending.lock() else { return };
    if let Some(tx) = p.get(&id) {
        let _ = tx.send(note);
    }
    if last {
        p.remove(&id);
    }
}
