//! `HarnessError`: every way a run can stop early, as data, each mapped to one exit code in
//! `exit_code()` — the only place that decides a code (docs/architecture.md, README "Exit codes").

mod merge;
mod project;

pub use merge::MergeError;
pub use project::{InitError, ProjectError};

use std::path::PathBuf;

use crate::db::{BadUrl, DbError};
use crate::provision::{DockerError, ProvisionError};

pub mod exit;

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// `harness.toml` is malformed; always points at the spot.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Config {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// What `harness.toml` (`file`) points at is missing or does not answer.
    #[error("{}: {problem}", file.display())]
    Project {
        file: PathBuf,
        problem: Box<ProjectError>,
    },
    /// The config file cannot be read.
    #[error("cannot read config {}: {source} (pass --config FILE or run where harness.toml is)", path.display())]
    ConfigUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `init` found nothing to write or would overwrite.
    #[error(transparent)]
    Init(#[from] InitError),
    /// A flag (or its setting) names nothing: `unknown format `x`; valid: md, html`.
    #[error("unknown {what} `{value}`; valid: {}", valid.join(", "))]
    UnknownValue {
        what: &'static str,
        value: String,
        valid: Vec<String>,
    },
    /// A flag that must name something was given nothing.
    #[error("{flag} is empty; valid: {}", valid.join(", "))]
    EmptyFlag {
        flag: &'static str,
        valid: Vec<String>,
    },
    /// A flag was given a value that cannot be used, and why.
    #[error("bad {flag}: {reason}")]
    BadFlag {
        flag: &'static str,
        value: String,
        reason: String,
    },
    /// `--database-url` is not a server URL (the URL is not kept: it may hold a password).
    #[error("bad --database-url: {0}")]
    BadDatabaseUrl(#[from] BadUrl),
    /// A program the run needs is not installed.
    #[error("{tool} not found: install it ({install})")]
    MissingTool {
        tool: &'static str,
        install: &'static str,
    },
    /// `[python] python` names an interpreter that does not exist.
    #[error("[python] python = {} does not exist (create it: python3 -m venv {} && {}/bin/pip install -r requirements.txt)", python.display(), venv.display(), venv.display())]
    MissingInterpreter { python: PathBuf, venv: PathBuf },
    /// A command preparing the run (venv, pip) did not succeed.
    #[error("{command}{failure}")]
    SetupCommand {
        command: String,
        failure: SetupFailure,
    },
    /// A file or directory the run reads or writes.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: IoAction,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// git could not answer what `--since` or the previous release asked.
    #[error(transparent)]
    Git(Box<crate::git::GitError>),
    /// A driver could not read what it needs (a tool's graph answer, the version table).
    #[error(transparent)]
    Driver(Box<crate::driver::DriverError>),
    /// A Python worker did not start or answer.
    #[error(transparent)]
    Worker(Box<crate::driver::worker::WorkerError>),
    /// The previous release's tree could not be read.
    #[error(transparent)]
    Previous(#[from] crate::git::PreviousError),
    /// A `[[matrix]]` entry the `--db` mode cannot run.
    #[error("server matrix entry `{entry}` cannot run under --db {db}: images run as containers, binaries as local servers")]
    MatrixClash {
        entry: String,
        /// The mode as `--db` spells it.
        db: String,
    },
    /// The server under test: lost, or refusing what the harness itself needs.
    #[error(transparent)]
    Db(Box<DbError>),
    /// The Docker engine.
    #[error(transparent)]
    Docker(Box<DockerError>),
    /// A server could not be started or prepared.
    #[error(transparent)]
    Provision(Box<ProvisionError>),
    /// Teardown could not remove everything; each failure kept.
    #[error("cleanup incomplete: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    CleanupIncomplete(Vec<HarnessError>),
    /// A mode needs a flag that was not given: `--db url` without `--database-url`.
    #[error("{needed_by} needs {flag} {hint}")]
    MissingFlag {
        flag: &'static str,
        needed_by: &'static str,
        hint: &'static str,
    },
    /// The harness itself failed (a panic, a task that did not finish); cleanup ran.
    #[error("{0}")]
    Internal(Internal),
    /// `merge` was given reports that do not add up (missing, malformed, of other runs).
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// SIGINT / SIGTERM arrived; cleanup already ran.
    #[error("interrupted by {0}")]
    Interrupted(&'static str),
}

/// How a setup command failed; reads after the command (`pip install -r x failed: …`).
#[derive(Debug)]
pub enum SetupFailure {
    TimedOut,
    Unrunnable(std::io::Error),
    Failed { output: String },
}

impl std::fmt::Display for SetupFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupFailure::TimedOut => f.write_str(" timed out"),
            SetupFailure::Unrunnable(e) => write!(f, ": {e}"),
            SetupFailure::Failed { output } => write!(f, " failed:\n{output}"),
        }
    }
}

/// The harness's own failures, which no configuration causes.
#[derive(Debug)]
pub enum Internal {
    Reporter(String),
    ReporterTimedOut { seconds: u64 },
    Panic { message: String },
    Collector(String),
    ServerStart(String),
    MatrixTask(String),
    OwnBinary(std::io::Error),
}

impl std::fmt::Display for Internal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Internal::Reporter(e) => write!(f, "internal error in the reporter: {e}"),
            Internal::ReporterTimedOut { seconds } => {
                write!(
                    f,
                    "internal error: the reporter did not finish within {seconds} s"
                )
            }
            Internal::Panic { message } => {
                write!(f, "internal error (panic): {message}; cleanup done")
            }
            Internal::Collector(m) => write!(f, "internal error: {m}"),
            Internal::ServerStart(e) => write!(f, "the server's start stopped: {e}"),
            Internal::MatrixTask(e) => write!(f, "matrix task failed: {e}"),
            Internal::OwnBinary(e) => write!(f, "cannot find the harness binary: {e}"),
        }
    }
}

/// What the harness tried to do with a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoAction {
    /// A file the user pointed at (config, migrations, scenario files): a usage error.
    Read,
    Create,
    Write,
    Remove,
}

impl std::fmt::Display for IoAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IoAction::Read => "read",
            IoAction::Create => "create",
            IoAction::Write => "write",
            IoAction::Remove => "remove",
        })
    }
}

impl HarnessError {
    /// The exit code of the CLI contract for this error; the only mapping there is.
    pub fn exit_code(&self) -> i32 {
        match self {
            HarnessError::Config { .. }
            | HarnessError::ConfigUnreadable { .. }
            | HarnessError::Init(_)
            | HarnessError::UnknownValue { .. }
            | HarnessError::EmptyFlag { .. }
            | HarnessError::BadFlag { .. }
            | HarnessError::BadDatabaseUrl(_)
            | HarnessError::MissingFlag { .. }
            | HarnessError::Merge(_) => exit::USAGE,
            HarnessError::Io { action, .. } => match action {
                IoAction::Read => exit::USAGE,
                IoAction::Create | IoAction::Write | IoAction::Remove => exit::ENVIRONMENT,
            },
            HarnessError::Git(g) if g.is_usage() => exit::USAGE,
            HarnessError::Previous(p) if p.is_usage() => exit::USAGE,
            HarnessError::MatrixClash { .. } => exit::USAGE,
            HarnessError::Project { problem, .. } if problem.is_environment() => exit::ENVIRONMENT,
            HarnessError::Project { .. } => exit::USAGE,
            HarnessError::Provision(p) if p.is_usage() => exit::USAGE,
            HarnessError::Git(_)
            | HarnessError::MissingTool { .. }
            | HarnessError::MissingInterpreter { .. }
            | HarnessError::SetupCommand { .. }
            | HarnessError::Db(_)
            | HarnessError::Driver(_)
            | HarnessError::Previous(_)
            | HarnessError::Worker(_)
            | HarnessError::Docker(_)
            | HarnessError::Provision(_)
            | HarnessError::CleanupIncomplete(_)
            | HarnessError::Internal(_) => exit::ENVIRONMENT,
            HarnessError::Interrupted("SIGTERM") => exit::SIGTERM,
            HarnessError::Interrupted(_) => exit::SIGINT,
        }
    }

    /// The server under test is gone (connection refused, gone away, lost, killed) — told
    /// from the error itself, without asking the server again.
    pub fn is_server_lost(&self) -> bool {
        match self {
            HarnessError::Db(e) => e.is_server_lost(),
            HarnessError::Driver(e) => e.is_server_lost(),
            HarnessError::Provision(e) => e.is_server_lost(),
            _ => false,
        }
    }

    /// `--db url` without a server URL.
    pub fn no_database_url() -> Self {
        HarnessError::MissingFlag {
            flag: "--database-url",
            needed_by: "--db url",
            hint: "mysql://USER:PASS@HOST:PORT/ (or MH_DATABASE_URL)",
        }
    }

    /// A problem with what the config file `file` points at.
    pub fn project(file: impl Into<PathBuf>, problem: ProjectError) -> Self {
        HarnessError::Project {
            file: file.into(),
            problem: Box::new(problem),
        }
    }

    /// `map_err(HarnessError::io(IoAction::Write, &path))`.
    pub fn io(
        action: IoAction,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> HarnessError {
        let path = path.into();
        move |source| HarnessError::Io {
            action,
            path,
            source,
        }
    }
}

/// The typed errors below `HarnessError`, boxed so a `Result<_, HarnessError>` stays small.
macro_rules! boxed_from {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for HarnessError {
            fn from(e: $ty) -> Self {
                HarnessError::$variant(Box::new(e))
            }
        }
    )*};
}

boxed_from!(
    Git(crate::git::GitError),
    Driver(crate::driver::DriverError),
    Worker(crate::driver::worker::WorkerError),
    Db(DbError),
    Docker(DockerError),
    Provision(ProvisionError),
);

pub type Result<T, E = HarnessError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::{GitError, GitPurpose};

    fn io_error() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied")
    }

    #[test]
    fn usage_errors_exit_2() {
        let cases = [
            HarnessError::UnknownValue {
                what: "format",
                value: "pdf".into(),
                valid: vec!["md".into()],
            },
            HarnessError::BadFlag {
                flag: "--baseline",
                value: "zz".into(),
                reason: "unknown revision zz".into(),
            },
            HarnessError::BadDatabaseUrl(BadUrl::NoHost),
            HarnessError::io(IoAction::Read, "/nowhere")(io_error()),
            HarnessError::no_database_url(),
            HarnessError::MatrixClash {
                entry: "mysql:8.4".into(),
                db: "local".into(),
            },
            HarnessError::project("harness.toml", ProjectError::NoRevisionSource),
            ProvisionError::NotOursToKill.into(),
            GitError::NoCommit {
                purpose: GitPurpose::Since,
                reference: "nope".into(),
                repository: "/r".into(),
            }
            .into(),
        ];
        for e in cases {
            assert_eq!(e.exit_code(), exit::USAGE, "{e}");
        }
    }

    #[test]
    fn environment_errors_exit_3() {
        let cases = [
            HarnessError::MissingTool {
                tool: "python3",
                install: "Debian: apt-get install python3 python3-venv",
            },
            HarnessError::io(IoAction::Write, "/r/report.md")(io_error()),
            HarnessError::project(
                "harness.toml",
                ProjectError::ListFailed {
                    command: "make list".into(),
                    outcome: "Failed".into(),
                    log: String::new(),
                },
            ),
            HarnessError::Internal(Internal::ReporterTimedOut { seconds: 30 }),
            ProvisionError::NoServerBinary.into(),
            DbError::TimedOut {
                statement: "SELECT 1".into(),
                seconds: 1,
            }
            .into(),
            DockerError::NoAnswer {
                host: "unix:///var/run/docker.sock".into(),
                seconds: 5,
            }
            .into(),
            GitError::NotRunnable {
                purpose: GitPurpose::PreviousRelease,
                source: io_error(),
            }
            .into(),
        ];
        for e in cases {
            assert_eq!(e.exit_code(), exit::ENVIRONMENT, "{e}");
        }
    }

    #[test]
    fn signals_exit_with_their_shell_codes() {
        assert_eq!(HarnessError::Interrupted("SIGTERM").exit_code(), 143);
        assert_eq!(HarnessError::Interrupted("SIGINT").exit_code(), 130);
    }

    #[test]
    fn messages_name_the_data_they_carry() {
        let e = HarnessError::UnknownValue {
            what: "format",
            value: "pdf".into(),
            valid: vec!["md".into(), "html".into()],
        };
        assert_eq!(e.to_string(), "unknown format `pdf`; valid: md, html");
        let e = HarnessError::MissingTool {
            tool: "python3",
            install: "Debian: apt-get install python3 python3-venv",
        };
        assert_eq!(
            e.to_string(),
            "python3 not found: install it (Debian: apt-get install python3 python3-venv)"
        );
        let e = HarnessError::io(IoAction::Create, "/out")(io_error());
        assert_eq!(e.to_string(), "cannot create /out: denied");
    }
}
