//! `doctor`: what this machine offers (Docker engine, server binaries, Python and tools), and
//! `prepare`: build the Python venv the config names ahead of a run.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::config::{Config, ToolKind};
use crate::driver::python;
use crate::error::{exit, Result};
use crate::provision::{docker_engine, find_server_binary};

async fn first_line(program: &Path, arg: &str) -> Option<String> {
    let out = Command::new(program).arg(arg).output().await.ok()?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}

/// `config`: the harness.toml to check; `server_binary` and `database_url`: the ones the
/// run would use, if given.
pub async fn run(
    config: &Path,
    server_binary: Option<PathBuf>,
    database_url: Option<&str>,
) -> Result<i32> {
    println!("migration-harness {} doctor", env!("CARGO_PKG_VERSION"));
    let mut usable = Vec::new();

    match docker_engine().await {
        Ok(e) => {
            println!(
                "✔ Docker engine {} (API {}) at {}",
                e.version, e.api_version, e.host
            );
            usable.push("--db container");
        }
        Err(e) => println!("✘ Docker engine: unreachable ({e})"),
    }
    match server_binary.or_else(find_server_binary) {
        Some(b) => match first_line(&b, "--version").await {
            Some(v) => {
                println!("✔ server binary {}: {v}", b.display());
                usable.push("--db local");
            }
            None => println!("✘ server binary {}: cannot be run", b.display()),
        },
        None => println!(
            "✘ server binary: no mariadbd or mysqld (Debian: apt-get install mariadb-server)"
        ),
    }
    if database_url.is_some() {
        usable.push("--db url");
        println!("✔ --database-url given (not contacted by doctor)");
    }
    match which::which("python3") {
        Ok(p) => println!(
            "✔ python3 {}: {}",
            p.display(),
            first_line(&p, "--version").await.unwrap_or_default()
        ),
        Err(_) => println!("✘ python3: not found (apt-get install python3 python3-venv)"),
    }
    let cfg_path = config;
    if cfg_path.exists() {
        match Config::load(cfg_path) {
            Ok(cfg) => {
                println!(
                    "✔ config {}: tool = {:?}",
                    cfg_path.display(),
                    cfg.raw.migrations.tool
                );
                if matches!(cfg.raw.migrations.tool, ToolKind::Alembic | ToolKind::Flask) {
                    report_python(&cfg).await;
                }
            }
            Err(e) => println!("✘ config: {e}"),
        }
    } else {
        println!(
            "· no {} here (pass --config FILE to check a project's Python tools)",
            cfg_path.display()
        );
    }
    if usable.is_empty() {
        println!(
            "\nNo way to get a server. {}",
            crate::provision::alternatives()
        );
        return Ok(exit::ENVIRONMENT);
    }
    println!("\nusable: {}", usable.join(", "));
    Ok(exit::PASSED)
}

async fn report_python(cfg: &Config) {
    let cached = cfg.raw.python.requirements.as_ref().map(|r| cfg.resolve(r));
    if let (None, Some(req)) = (&cfg.raw.python.python, &cached) {
        if std::env::var_os("MH_PYTHON").is_none() && python::cached_venv(req).is_none() {
            println!("· Python tools come from a venv built for {} (run `migration-harness prepare` to build it now)", req.display());
            return;
        }
    }
    match python::resolve_python(cfg).await {
        Ok(py) => {
            let v =
                python::versions(&py, &["alembic", "Flask-Migrate", "SQLAlchemy", "PyMySQL"]).await;
            let shown: Vec<String> = v.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!("✔ {}: {}", py.display(), shown.join(", "));
        }
        Err(e) => println!("✘ python tools: {e}"),
    }
}

pub async fn prepare(config: &Path) -> Result<i32> {
    let cfg = Config::load(config)?;
    let py = python::resolve_python(&cfg).await?;
    let v = python::versions(&py, &["alembic", "Flask-Migrate", "SQLAlchemy", "PyMySQL"]).await;
    println!(
        "{}: {}",
        py.display(),
        v.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(exit::PASSED)
}
