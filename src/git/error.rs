//! `GitError` and `PreviousError`: what git (and tar) could not do for `--since` or the
//! previous release, with the ref, the command and the repository; text only in `Display`.

use std::path::{Path, PathBuf};

/// What git was asked for: the words every message about it starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitPurpose {
    /// `--since REF`: the revisions changed since a ref.
    Since,
    /// The previous release's tree (`git archive`).
    PreviousRelease,
}

impl GitPurpose {
    fn prefix(self) -> &'static str {
        match self {
            GitPurpose::Since => "bad --since",
            GitPurpose::PreviousRelease => "previous release",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git itself could not be run (not installed).
    #[error("{}", match purpose {
        GitPurpose::Since => format!("--since needs git: cannot run it ({source})"),
        GitPurpose::PreviousRelease => format!("the previous release needs git: {source}"),
    })]
    NotRunnable {
        purpose: GitPurpose,
        #[source]
        source: std::io::Error,
    },
    /// A git command failed; `stderr` is what git said.
    #[error("{}: `git {}` in {} failed: {stderr}", purpose.prefix(), args.join(" "), dir.display())]
    Failed {
        purpose: GitPurpose,
        args: Vec<String>,
        dir: PathBuf,
        stderr: String,
    },
    /// The ref names no commit.
    #[error("{}: `{reference}` names no commit in the git repository at {}", purpose.prefix(), repository.display())]
    NoCommit {
        purpose: GitPurpose,
        reference: String,
        repository: PathBuf,
    },
}

impl GitError {
    /// A ref or repository the user named is wrong (rather than git missing).
    pub fn is_usage(&self) -> bool {
        !matches!(self, GitError::NotRunnable { .. })
    }

    /// A finished git command's output, or the error it is.
    pub fn check(
        purpose: GitPurpose,
        dir: &Path,
        args: &[&str],
        out: std::io::Result<std::process::Output>,
    ) -> std::result::Result<String, GitError> {
        let out = out.map_err(|source| GitError::NotRunnable { purpose, source })?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(GitError::Failed {
                purpose,
                args: args.iter().map(|a| a.to_string()).collect(),
                dir: dir.to_path_buf(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }
}

/// Why the previous release's tree could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PreviousError {
    #[error("cannot run tar: {0}")]
    TarUnrunnable(#[source] std::io::Error),
    #[error("tar could not extract `{reference}` ({status})")]
    TarFailed { reference: String, status: String },
    /// The ref's tree has no migrations where the config says (`dir` inside the tree).
    #[error("previous release `{reference}` has no migrations directory {}", dir.display())]
    NoMigrationsDir { reference: String, dir: PathBuf },
}

impl PreviousError {
    pub fn is_usage(&self) -> bool {
        matches!(self, PreviousError::NoMigrationsDir { .. })
    }
}
