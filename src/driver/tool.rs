//! `ToolRunner`: how a migration tool's process is started against one database — the
//! project's env plus the database URL in the variable the project reads — as an `Execution`.

use std::path::PathBuf;
use std::sync::Arc;

use super::process::{run_forked, run_process, ProcessSpec};
use super::worker::Zygote;
use super::{DbTarget, Execution};
use crate::redact::Redactor;

pub struct ToolRunner {
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    /// Environment variables the project reads its database URL from.
    pub url_env: Vec<String>,
    /// `mysql+pymysql` (SQLAlchemy) or `mysql`.
    pub url_scheme: String,
    pub redactor: Redactor,
    pub verbose: bool,
    /// The interpreter's zygote: `python -m …` lines of that interpreter are forked from it.
    pub zygote: Option<(PathBuf, Arc<Zygote>)>,
}

impl ToolRunner {
    pub fn url(&self, db: &DbTarget) -> String {
        db.conn.url(&self.url_scheme, Some(&db.database))
    }

    /// Runs `argv`; `shown` is the command line the report prints (redacted here).
    pub async fn run(&self, db: &DbTarget, argv: Vec<String>, shown: &str) -> Execution {
        let mut env = self.env.clone();
        let url = self.url(db);
        env.extend(self.url_env.iter().map(|k| (k.clone(), url.clone())));
        let spec = ProcessSpec {
            argv,
            env,
            cwd: self.cwd.clone(),
            timeout: db.timeout,
        };
        let forked = match self.forkable(&spec.argv) {
            Some(z) => run_forked(z, &spec, &self.redactor, self.verbose).await,
            None => None,
        };
        let r = match forked {
            Some(r) => r,
            None => run_process(&spec, &self.redactor, self.verbose).await,
        };
        Execution::from_process(self.redactor.redact(shown), r, db.timeout)
    }

    /// The zygote, when `argv` is `python -m MODULE …` of its interpreter and the project's
    /// environment sets no `PYTHON*` variable (read only when an interpreter starts).
    fn forkable(&self, argv: &[String]) -> Option<&Zygote> {
        let (python, zygote) = self.zygote.as_ref()?;
        let ours = argv
            .first()
            .is_some_and(|p| python.as_os_str() == p.as_str())
            && argv.get(1).is_some_and(|a| a == "-m")
            && argv.len() > 2;
        let startup_env = self.env.iter().any(|(k, _)| k.starts_with("PYTHON"));
        (ours && !startup_env).then_some(zygote.as_ref())
    }

    /// Runs one shell command line before any database exists (no URL in the environment),
    /// e.g. a command listing the revisions.
    pub async fn shell_offline(&self, line: &str, timeout: std::time::Duration) -> Execution {
        let spec = ProcessSpec {
            argv: vec!["sh".into(), "-c".into(), line.to_string()],
            env: self.env.clone(),
            cwd: self.cwd.clone(),
            timeout,
        };
        let r = run_process(&spec, &self.redactor, self.verbose).await;
        Execution::from_process(self.redactor.redact(line), r, timeout)
    }

    /// Runs one shell command line.
    pub async fn shell(&self, db: &DbTarget, line: &str) -> Execution {
        self.run(db, vec!["sh".into(), "-c".into(), line.to_string()], line)
            .await
    }
}
