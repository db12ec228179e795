//! `changed_since()`: the revisions whose files git sees added or changed since a ref —
//! the scope of `--since` (committed, staged, unstaged and untracked changes all count).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

mod error;

pub use error::{GitError, GitPurpose, PreviousError};

use crate::chain::Chain;
use crate::error::Result;
use crate::scenario::plan::Changed;

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output();
    Ok(GitError::check(GitPurpose::Since, dir, args, out)?)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Revisions of `chain` (whose files live under `dir`) added or changed since `since`.
/// A revision counts as changed when its file changed, or any file beside it named
/// `<id>_…` (a SQL directory's `.down.sql`); one with no file cannot be shown to be old,
/// so it counts too.
pub fn changed_since(chain: &Chain, dir: &Path, since: &str) -> Result<Changed> {
    let root = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?.trim());
    let commit = format!("{since}^{{commit}}");
    git(&root, &["rev-parse", "--verify", "--quiet", &commit]).map_err(|_| GitError::NoCommit {
        purpose: GitPurpose::Since,
        reference: since.to_string(),
        repository: root.clone(),
    })?;
    let tracked = git(&root, &["diff", "--name-only", "--no-renames", since, "--"])?;
    let untracked = git(&root, &["ls-files", "--others", "--exclude-standard"])?;
    let files: BTreeSet<PathBuf> = tracked
        .lines()
        .chain(untracked.lines())
        .filter(|l| !l.trim().is_empty())
        .map(|l| canonical(&root.join(l)))
        .collect();
    let revisions = chain
        .revisions
        .iter()
        .filter(|r| match &r.file {
            None => true,
            Some(f) => {
                let f = canonical(f);
                let prefix = format!("{}_", r.id);
                files.contains(&f)
                    || files.iter().any(|c| {
                        c.parent() == f.parent()
                            && c.file_name()
                                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
                    })
            }
        })
        .map(|r| r.id.clone())
        .collect();
    Ok(Changed {
        since: since.to_string(),
        revisions,
    })
}
