//! The previous release: the project at a git ref (`--since REF`, `[compat] previous`),
//! read with `git archive` into a temporary directory — the user's checkout and its `.git`
//! are never written — and loaded with the same harness.toml, so its revision chain (whose
//! head production runs) and its code (the statements it sends) are known. The directory
//! goes when the `PreviousRelease` is dropped: a normal end, an error, or a signal that
//! drops the run; `migration-harness clean` removes one a killed run left (it carries
//! `harness.pid` like a local server's directory).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::process::Command;

use crate::config::{Config, ToolKind};
use crate::driver::{load_driver, MigrationDriver};
use crate::error::{HarnessError, IoAction, Result};
use crate::git::{GitError, GitPurpose, PreviousError};
use crate::redact::Redactor;

/// The previous release, loaded; its files live as long as it does.
pub struct PreviousRelease {
    /// The ref as given (`v1`).
    pub reference: String,
    pub driver: Arc<dyn MigrationDriver>,
    /// The head revision its migrations had: what production runs.
    pub head: Option<String>,
    /// Taken by `close` (or dropped with the release) after the driver, whose workers run
    /// in it, is shut down.
    tree: std::sync::Mutex<Option<tempfile::TempDir>>,
    path: PathBuf,
}

impl PreviousRelease {
    /// Where the release's files are (for tests and messages).
    pub fn dir(&self) -> &Path {
        &self.path
    }

    /// Stops the release's tool processes and removes its files (whoever still holds the
    /// release: a cancelled scenario task may, for a moment).
    pub async fn close(&self) {
        self.driver.shutdown().await;
        let tree = self.tree.lock().map(|mut t| t.take()).unwrap_or(None);
        drop(tree);
    }
}

async fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .kill_on_drop(true)
        .output()
        .await;
    Ok(GitError::check(
        GitPurpose::PreviousRelease,
        dir,
        args,
        out,
    )?)
}

/// Extracts `reference`'s tree of the repository holding `cfg` and loads the same config
/// against it.
pub async fn load(
    cfg: &Config,
    reference: &str,
    redactor: &Redactor,
    verbose: bool,
) -> Result<PreviousRelease> {
    let here = std::fs::canonicalize(&cfg.dir).unwrap_or_else(|_| cfg.dir.clone());
    let root = PathBuf::from(git(&here, &["rev-parse", "--show-toplevel"]).await?.trim());
    let commit = format!("{reference}^{{commit}}");
    git(&root, &["rev-parse", "--verify", "--quiet", &commit])
        .await
        .map_err(|_| GitError::NoCommit {
            purpose: GitPurpose::PreviousRelease,
            reference: reference.to_string(),
            repository: root.clone(),
        })?;
    let tree = tempfile::Builder::new()
        .prefix(&format!("{}previous-", crate::provision::TEMP_PREFIX))
        .tempdir()
        .map_err(HarnessError::io(IoAction::Create, std::env::temp_dir()))?;
    let _ = std::fs::write(
        tree.path().join("harness.pid"),
        std::process::id().to_string(),
    );
    let tar = tree.path().join("release.tar");
    let files = tree.path().join("tree");
    std::fs::create_dir(&files).map_err(HarnessError::io(IoAction::Create, &files))?;
    let out = format!("--output={}", tar.display());
    git(&root, &["archive", "--format=tar", &out, &commit]).await?;
    let status = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&files)
        .kill_on_drop(true)
        .status()
        .await
        .map_err(PreviousError::TarUnrunnable)?;
    let _ = std::fs::remove_file(&tar);
    if !status.success() {
        return Err(PreviousError::TarFailed {
            reference: reference.to_string(),
            status: status.to_string(),
        }
        .into());
    }
    let rel = here.strip_prefix(&root).unwrap_or(Path::new(""));
    let prev = rerooted(cfg, &files.join(rel)).await?;
    let dir = prev.migrations_dir();
    if !dir.is_dir() {
        return Err(PreviousError::NoMigrationsDir {
            reference: reference.to_string(),
            dir: dir.strip_prefix(&files).unwrap_or(&dir).to_path_buf(),
        }
        .into());
    }
    let driver: Arc<dyn MigrationDriver> = Arc::from(load_driver(&prev, redactor, verbose).await?);
    let head = driver.chain().verify().head().map(str::to_string);
    Ok(PreviousRelease {
        reference: reference.to_string(),
        driver,
        head,
        path: tree.path().to_path_buf(),
        tree: std::sync::Mutex::new(Some(tree)),
    })
}

/// The same harness.toml, its paths resolved in `dir`; the Python the run already uses
/// (a venv beside the project is not in git).
async fn rerooted(cfg: &Config, dir: &Path) -> Result<Config> {
    let mut raw = cfg.raw.clone();
    if matches!(
        raw.migrations.tool,
        ToolKind::Alembic | ToolKind::Flask | ToolKind::Django
    ) {
        raw.python.python = Some(crate::driver::python::resolve_python(cfg).await?);
    }
    Ok(Config {
        path: dir.join(cfg.path.file_name().unwrap_or_default()),
        dir: dir.to_path_buf(),
        raw,
    })
}

/// The baseline with a previous release: the head its migrations had, when that is a
/// revision of today's chain before today's head (otherwise the usual default).
pub fn default_baseline(
    previous_head: Option<&str>,
    order: &[String],
    head: Option<&str>,
) -> Option<String> {
    let p = previous_head?;
    let at = order.iter().position(|o| o == p)?;
    let h = order.iter().position(|o| Some(o.as_str()) == head)?;
    (at < h).then(|| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_is_the_previous_head_when_it_comes_before_head() {
        let order: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            default_baseline(Some("a"), &order, Some("c")),
            Some("a".into())
        );
        // Nothing new since: the usual default applies.
        assert_eq!(default_baseline(Some("c"), &order, Some("c")), None);
        // A previous head today's chain does not know (history rewritten).
        assert_eq!(default_baseline(Some("x"), &order, Some("c")), None);
        assert_eq!(default_baseline(None, &order, Some("c")), None);
    }
}
