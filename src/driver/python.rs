//! The Python the tools run with: an explicit interpreter, a venv the harness builds from a
//! requirements file (cached by the file's hash), or `python3` on PATH.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::process::Command;

use crate::config::Config;
use crate::error::{HarnessError, IoAction, Result, SetupFailure};

pub fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("migration-harness")
}

/// Picks the interpreter: `MH_PYTHON`, then `[python] python`, then a venv for
/// `[python] requirements`, then `python3` on PATH.
pub async fn resolve_python(cfg: &Config) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("MH_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = &cfg.raw.python.python {
        let p = cfg.resolve(p);
        if !p.exists() {
            let venv = p
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new(".venv"))
                .to_path_buf();
            return Err(HarnessError::MissingInterpreter { python: p, venv });
        }
        return Ok(p);
    }
    if let Some(req) = &cfg.raw.python.requirements {
        return ensure_venv(&cfg.resolve(req)).await;
    }
    which::which("python3").map_err(|_| HarnessError::MissingTool {
        tool: "python3",
        install: "Debian: apt-get install python3 python3-venv",
    })
}

/// The cached venv for `requirements`, if one was built already.
pub fn cached_venv(requirements: &Path) -> Option<PathBuf> {
    let content = std::fs::read(requirements).ok()?;
    let hash = format!("{:x}", Sha256::digest(&content));
    let dir = cache_dir().join("venvs").join(&hash[..16]);
    (dir.join(".complete").exists()).then(|| dir.join("bin/python"))
}

/// A venv with `requirements` installed, reused while the file's content is unchanged.
/// Built in a scratch dir and renamed into place, so concurrent runs never see half a venv
/// (tools are started as `python -m tool`, so the venv's scripts' shebangs never matter).
pub async fn ensure_venv(requirements: &Path) -> Result<PathBuf> {
    let content =
        std::fs::read(requirements).map_err(HarnessError::io(IoAction::Read, requirements))?;
    let hash = format!("{:x}", Sha256::digest(&content));
    let dir = cache_dir().join("venvs").join(&hash[..16]);
    let python = dir.join("bin/python");
    if python.exists() && dir.join(".complete").exists() {
        return Ok(python);
    }
    let base = which::which("python3").map_err(|_| HarnessError::MissingTool {
        tool: "python3",
        install: "Debian: apt-get install python3 python3-venv",
    })?;
    let venvs = dir.parent().expect("has parent");
    std::fs::create_dir_all(venvs).map_err(HarnessError::io(IoAction::Create, venvs))?;
    let scratch = tempfile::Builder::new()
        .prefix(&format!("{}.building-", &hash[..16]))
        .tempdir_in(venvs)
        .map_err(HarnessError::io(IoAction::Create, venvs))?;
    eprintln!(
        "creating a Python venv for {} (once; cached in {})",
        requirements.display(),
        dir.display()
    );
    let run = |mut c: Command, command: String| async move {
        let failed = |failure| HarnessError::SetupCommand {
            command: command.clone(),
            failure,
        };
        let out = tokio::time::timeout(Duration::from_secs(900), c.output())
            .await
            .map_err(|_| failed(SetupFailure::TimedOut))?
            .map_err(|e| failed(SetupFailure::Unrunnable(e)))?;
        if !out.status.success() {
            return Err(failed(SetupFailure::Failed {
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            }));
        }
        Ok(())
    };
    let mut venv = Command::new(&base);
    venv.arg("-m").arg("venv").arg(scratch.path());
    run(
        venv,
        format!(
            "{} -m venv (Debian: apt-get install python3-venv)",
            base.display()
        ),
    )
    .await?;
    let mut pip = Command::new(scratch.path().join("bin/python"));
    pip.args([
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "-r",
    ])
    .arg(requirements);
    run(pip, format!("pip install -r {}", requirements.display())).await?;
    std::fs::write(scratch.path().join(".complete"), &hash).ok();
    let built = scratch.keep();
    if std::fs::rename(&built, &dir).is_err() {
        // Another run finished first; use its venv.
        let _ = std::fs::remove_dir_all(&built);
    }
    Ok(python)
}

/// Versions of Python and of the given distributions, for the report (one interpreter run;
/// the Alembic worker reports its own at start-up, so this serves `doctor`).
pub async fn versions(python: &Path, dists: &[&str]) -> Vec<(String, String)> {
    let script = format!(
        "import sys, importlib.metadata as m\n\
         print('Python', sys.version.split()[0])\n\
         for d in {dists:?}:\n    try: print(d, m.version(d))\n    except Exception: pass\n"
    );
    let Ok(out) = Command::new(python).args(["-c", &script]).output().await else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.trim().to_string()))
        })
        .collect()
}
