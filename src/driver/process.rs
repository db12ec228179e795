//! Runs a tool process with a timeout (killing its whole process group), capturing bounded,
//! ANSI-stripped, credential-redacted output.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

pub use super::groups::{kill_all_running, Registered};
use super::worker::{Ended, Zygote};
use crate::redact::Redactor;

/// Bytes kept from the start and from the end of each stream; the middle is dropped with a
/// marker. The end matters most: it holds the traceback's last line with the server error.
const HEAD: usize = 32 * 1024;
const TAIL: usize = 96 * 1024;

#[derive(Debug, Clone)]
pub struct ProcessSpec {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub enum ProcessEnd {
    Exited(i32),
    Signalled,
    TimedOut,
    /// The program could not be started at all (not installed, not executable).
    SpawnFailed(String),
}

#[derive(Debug, Clone)]
pub struct ProcessResult {
    pub end: ProcessEnd,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
}

impl ProcessResult {
    pub fn success(&self) -> bool {
        matches!(self.end, ProcessEnd::Exited(0))
    }

    pub fn exit_code(&self) -> Option<i32> {
        match self.end {
            ProcessEnd::Exited(c) => Some(c),
            _ => None,
        }
    }

    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

#[derive(Default)]
struct Bounded {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    dropped: usize,
}

impl Bounded {
    fn push(&mut self, mut data: &[u8]) {
        if self.head.len() < HEAD {
            let n = (HEAD - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        self.tail.extend(data);
        while self.tail.len() > TAIL {
            let excess = self.tail.len() - TAIL;
            self.tail.drain(..excess);
            self.dropped += excess;
        }
    }

    fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        if self.dropped > 0 {
            s.push_str(&format!(
                "\n[… {} bytes of output omitted …]\n",
                self.dropped
            ));
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        s.push_str(&String::from_utf8_lossy(&tail));
        s
    }
}

/// The last non-blank line of a tool's output (where tracebacks put the error).
pub fn last_line(log: &str) -> String {
    log.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Removes ANSI escape sequences and other control characters except newline and tab.
pub fn clean_text(s: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b.").expect("regex")
    });
    re.replace_all(s, "")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

async fn pump(mut r: impl AsyncRead + Unpin, verbose: Option<(&str, &Redactor)>) -> Bounded {
    let mut b = Bounded::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some((prefix, red)) = verbose {
                    for line in String::from_utf8_lossy(&buf[..n]).lines() {
                        eprintln!("{prefix} {}", red.redact(&clean_text(line)));
                    }
                }
                b.push(&buf[..n]);
            }
        }
    }
    b
}

/// Runs `spec` (a `python -m MODULE …` line of the zygote's interpreter) as a child forked
/// from the zygote, with the environment a spawned process would get. None when the zygote
/// could not fork it (the caller spawns it instead).
pub async fn run_forked(
    zygote: &Zygote,
    spec: &ProcessSpec,
    redactor: &Redactor,
    verbose: bool,
) -> Option<ProcessResult> {
    let start = Instant::now();
    let mut env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    env.extend(spec.env.iter().cloned());
    env.insert("PYTHONUNBUFFERED".into(), "1".into());
    env.insert("NO_COLOR".into(), "1".into());
    let env: Vec<(String, String)> = env.into_iter().collect();
    let (mut child, pipes) = zygote.run(&spec.argv[1..], &env, &spec.cwd).await.ok()?;
    let v = verbose.then_some(("  │", redactor));
    let waited = tokio::time::timeout(spec.timeout, async {
        let (o, e) = tokio::join!(pump(pipes.stdout, v), pump(pipes.stderr, v));
        (o, e, child.wait().await)
    })
    .await;
    let (end, o, e) = match waited {
        Ok((o, e, Ended::Exited(c))) => (ProcessEnd::Exited(c), o, e),
        Ok((o, e, Ended::Signalled(_) | Ended::Unknown)) => (ProcessEnd::Signalled, o, e),
        Err(_) => {
            child.kill();
            (ProcessEnd::TimedOut, Bounded::default(), Bounded::default())
        }
    };
    Some(ProcessResult {
        end,
        stdout: redactor.redact(&clean_text(&o.text())),
        stderr: redactor.redact(&clean_text(&e.text())),
        duration: start.elapsed(),
    })
}

pub async fn run_process(spec: &ProcessSpec, redactor: &Redactor, verbose: bool) -> ProcessResult {
    let start = Instant::now();
    let Some((program, args)) = spec.argv.split_first() else {
        return ProcessResult {
            end: ProcessEnd::SpawnFailed("empty command".into()),
            stdout: String::new(),
            stderr: String::new(),
            duration: Duration::ZERO,
        };
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(&spec.cwd)
        .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("PYTHONUNBUFFERED", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return ProcessResult {
                end: ProcessEnd::SpawnFailed(format!("{program}: {e}")),
                stdout: String::new(),
                stderr: String::new(),
                duration: start.elapsed(),
            }
        }
    };
    let _guard = child.id().map(|p| Registered::new(p as i32));
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let v = verbose.then_some(("  │", redactor));
    let readers = async { tokio::join!(pump(out, v), pump(err, v)) };
    let waited = tokio::time::timeout(spec.timeout, async {
        let (o, e) = readers.await;
        let status = child.wait().await;
        (o, e, status)
    })
    .await;
    let (end, o, e) = match waited {
        Ok((o, e, Ok(status))) => (
            match status.code() {
                Some(c) => ProcessEnd::Exited(c),
                None => ProcessEnd::Signalled,
            },
            o,
            e,
        ),
        Ok((o, e, Err(err))) => (ProcessEnd::SpawnFailed(err.to_string()), o, e),
        Err(_) => {
            drop(_guard); // kills the process group
            let _ = child.kill().await;
            (ProcessEnd::TimedOut, Bounded::default(), Bounded::default())
        }
    };
    ProcessResult {
        end,
        stdout: redactor.redact(&clean_text(&o.text())),
        stderr: redactor.redact(&clean_text(&e.text())),
        duration: start.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_keeps_head_and_tail() {
        let mut b = Bounded::default();
        b.push(&vec![b'a'; HEAD]);
        b.push(&vec![b'b'; TAIL * 3]);
        b.push(b"END");
        let t = b.text();
        assert!(t.len() < HEAD + TAIL + 100);
        assert!(t.ends_with("END"));
        assert!(t.contains("bytes of output omitted"));
    }

    #[test]
    fn clean_text_strips_ansi_and_controls() {
        assert_eq!(clean_text("\x1b[31mred\x1b[0m\x07 ok\n"), "red ok\n");
    }
}
