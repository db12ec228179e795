//! `PythonToolDriver`: Alembic (`python -m alembic -c alembic.ini …`) and Flask-Migrate
//! (`python -m flask --app APP db …`), given the database URL in the env var the project reads.

use std::path::PathBuf;

use super::python::{probe, resolve_python};
use super::tool::ToolRunner;
use super::{
    DbTarget, Execution, MigrationDriver, Outcome, Target, ToolCommands, VersionState, VersionStyle,
};
use crate::chain::{parse_alembic_dir, Chain};
use crate::config::{Config, ToolKind};
use crate::error::{HarnessError, Result};
use crate::redact::Redactor;

pub struct PythonToolDriver {
    kind: ToolKind,
    python: PathBuf,
    prefix: Vec<String>,
    tool: ToolRunner,
    chain: Chain,
    order: Vec<String>,
    versions: Vec<(String, String)>,
}

impl PythonToolDriver {
    pub async fn load(cfg: &Config, redactor: &Redactor, verbose: bool) -> Result<Self> {
        let m = &cfg.raw.migrations;
        let python = resolve_python(cfg).await?;
        let (module, dist) = match m.tool {
            ToolKind::Flask => ("flask_migrate", "Flask-Migrate"),
            _ => ("alembic", "alembic"),
        };
        let dir = cfg.migrations_dir();
        let mut chain = parse_alembic_dir(&dir)
            .map_err(|e| HarnessError::usage(format!("cannot read {}: {e}", dir.display())))?;
        chain.require_downgrades = m.require_downgrades;
        let py = python.display().to_string();
        let prefix = match m.tool {
            ToolKind::Flask => vec![
                py,
                "-m".into(),
                "flask".into(),
                "--app".into(),
                m.app.clone().unwrap_or_default(),
                "db".into(),
            ],
            _ => {
                let ini = m
                    .alembic_ini
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("alembic.ini"));
                let mut v = vec![
                    py,
                    "-m".into(),
                    "alembic".into(),
                    "-c".into(),
                    cfg.resolve(&ini).display().to_string(),
                ];
                for x in &m.x_args {
                    v.push("-x".into());
                    v.push(x.clone());
                }
                v
            }
        };
        let versions = probe(
            &python,
            &[(module, dist), ("pymysql", "PyMySQL")],
            &[
                "alembic",
                "SQLAlchemy",
                "Flask",
                "Flask-Migrate",
                "Flask-SQLAlchemy",
                "PyMySQL",
            ],
        )
        .await?;
        let order = chain.verify().order;
        Ok(PythonToolDriver {
            kind: m.tool,
            python,
            prefix,
            tool: ToolRunner {
                cwd: cfg.workdir(),
                env: m.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                url_env: m.url_env.clone().unwrap_or_else(|| "DATABASE_URL".into()),
                url_scheme: m
                    .url_scheme
                    .clone()
                    .unwrap_or_else(|| "mysql+pymysql".into()),
                redactor: redactor.clone(),
                verbose,
            },
            chain,
            order,
            versions,
        })
    }

    fn display_name(&self) -> &'static str {
        match self.kind {
            ToolKind::Flask => "flask db",
            _ => "alembic",
        }
    }

    fn shown(&self, args: &[String]) -> String {
        format!("{} {}", self.display_name(), args.join(" "))
    }

    async fn run(&self, db: &DbTarget, mut args: Vec<String>) -> Execution {
        // click (flask) reads `-1` as an option; `--` ends options for click and argparse.
        if args
            .last()
            .is_some_and(|a| a.starts_with('-') && a[1..].parse::<i32>().is_ok())
        {
            let last = args.pop().expect("checked");
            args.push("--".into());
            args.push(last);
        }
        let mut argv = self.prefix.clone();
        argv.extend(args.iter().cloned());
        self.tool.run(db, argv, &self.shown(&args)).await
    }
}

/// The revision a failed run was applying: the last `Running upgrade A -> B` names B,
/// the last `Running downgrade B -> A` names B.
pub fn failed_revision(log: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"Running (upgrade|downgrade|stamp_revision) ([^\s,]*) -> ([^\s,]+)")
            .expect("regex")
    });
    re.captures_iter(log).last().map(|c| match &c[1] {
        "downgrade" => c[2].to_string(),
        _ => c[3].to_string(),
    })
}

#[async_trait::async_trait]
impl MigrationDriver for PythonToolDriver {
    fn tool(&self) -> ToolKind {
        self.kind
    }

    fn chain(&self) -> &Chain {
        &self.chain
    }

    fn version_table(&self) -> &str {
        "alembic_version"
    }

    async fn upgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.run(db, vec!["upgrade".into(), target.to_string()])
            .await
    }

    async fn downgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.run(db, vec!["downgrade".into(), target.to_string()])
            .await
    }

    async fn stamp(&self, db: &DbTarget, target: &Target) -> Execution {
        // `stamp` cannot take relative steps; resolve them against the version table first.
        let t = match target {
            Target::Relative(_) => {
                let cur = self
                    .version(db)
                    .await
                    .ok()
                    .and_then(|v| v.current(&self.order));
                match target.resolve(&self.order, cur.as_deref()) {
                    Ok(Some(r)) => r,
                    Ok(None) => "base".into(),
                    Err(e) => {
                        return Execution::not_started(
                            self.shown(&["stamp".into(), target.to_string()]),
                            e,
                        )
                    }
                }
            }
            t => t.to_string(),
        };
        self.run(db, vec!["stamp".into(), "--purge".into(), t])
            .await
    }

    async fn version(&self, db: &DbTarget) -> std::result::Result<VersionState, String> {
        let rows = super::read_version_rows(db, "alembic_version", "version_num").await?;
        Ok(VersionState {
            rows,
            dirty: false,
            style: VersionStyle::Single,
        })
    }

    async fn model_check(&self, db: &DbTarget) -> Option<Execution> {
        let mut e = self.run(db, vec!["check".into()]).await;
        let text = e.log();
        if !e.ok()
            && (text.contains("does not provide a MetaData")
                || text.contains("No such command 'check'"))
        {
            e.outcome = Outcome::NotStarted {
                reason: "env.py has no target metadata to compare".into(),
            };
        }
        Some(e)
    }

    async fn tool_heads(&self, db: &DbTarget) -> Option<std::result::Result<Vec<String>, String>> {
        let e = self.run(db, vec!["heads".into()]).await;
        if !e.ok() {
            return Some(Err(e.log()));
        }
        Some(Ok(e
            .stdout
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(str::to_string)
            .collect()))
    }

    async fn app_command(&self, db: &DbTarget, command: &str) -> Execution {
        let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
        let py = self.python.display().to_string();
        let argv: Vec<String> = match words.first().map(String::as_str) {
            Some("flask") => {
                let mut v = vec![py, "-m".into(), "flask".into()];
                if !words.iter().any(|w| w == "--app") {
                    if let Some(i) = self.prefix.iter().position(|w| w == "--app") {
                        v.extend(self.prefix[i..i + 2].iter().cloned());
                    }
                }
                v.extend(words[1..].iter().cloned());
                v
            }
            Some("alembic") => {
                let mut v = self.prefix.clone();
                if self.kind == ToolKind::Flask {
                    v = vec![py, "-m".into(), "alembic".into()];
                }
                v.extend(words[1..].iter().cloned());
                v
            }
            Some("python") | Some("python3") => std::iter::once(py)
                .chain(words[1..].iter().cloned())
                .collect(),
            _ => words.clone(),
        };
        self.tool.run(db, argv, command).await
    }

    fn commands(&self) -> ToolCommands {
        let n = self.display_name();
        ToolCommands {
            upgrade: format!("{n} upgrade"),
            current: format!("{n} current"),
            downgrade_to: format!("{n} downgrade"),
        }
    }

    fn versions(&self) -> Vec<(String, String)> {
        self.versions.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::failed_revision;

    #[test]
    fn failed_revision_is_the_last_running_line() {
        let log = "INFO  [alembic.runtime.migration] Running upgrade  -> 6793349c088c, Initial\nINFO  [alembic.runtime.migration] Running upgrade c682ef478e45 -> d1f2e3c4b5a6, Fix API\nTraceback";
        assert_eq!(failed_revision(log).as_deref(), Some("d1f2e3c4b5a6"));
        let down = "Running downgrade d1f2e3c4b5a6 -> c682ef478e45, Fix\nRunning downgrade 3e5106ee570c -> 366e5694a9ad, API";
        assert_eq!(failed_revision(down).as_deref(), Some("3e5106ee570c"));
    }
}
