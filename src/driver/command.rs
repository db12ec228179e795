//! `CommandDriver`: any migration tool through command templates (`{url}`, `{target}`,
//! `{python}`, `{database}`), reading the version from a configurable table and column.

use std::path::PathBuf;

use super::python::resolve_python;
use super::tool::ToolRunner;
use super::{
    DbTarget, Execution, MigrationDriver, Target, ToolCommands, VersionState, VersionStyle,
};
use crate::chain::{parse_sql_dir, Chain, Revision};
use crate::config::{Config, ToolKind};
use crate::error::{HarnessError, Result};
use crate::redact::Redactor;

pub struct CommandDriver {
    upgrade: String,
    downgrade: String,
    stamp: Option<String>,
    current: Option<String>,
    version_table: String,
    version_column: String,
    python: Option<PathBuf>,
    tool: ToolRunner,
    chain: Chain,
    order: Vec<String>,
}

impl CommandDriver {
    pub async fn load(cfg: &Config, redactor: &Redactor, verbose: bool) -> Result<Self> {
        let m = &cfg.raw.migrations;
        let mut chain = match (m.format, m.revisions.is_empty()) {
            (Some(f), _) => parse_sql_dir(&cfg.migrations_dir(), f)
                .map_err(|e| HarnessError::usage(format!("cannot read {}: {e}", cfg.migrations_dir().display())))?
                .0,
            (None, false) => {
                let mut c = Chain::default();
                for (i, r) in m.revisions.iter().enumerate() {
                    let parents: Vec<&str> = if i == 0 { vec![] } else { vec![m.revisions[i - 1].as_str()] };
                    c.revisions.push(Revision::new(r, &parents, ""));
                }
                c
            }
            (None, true) => {
                return Err(HarnessError::usage(format!(
                    "{}: tool = \"command\" needs `revisions = [...]` or `format` + `dir` to know the chain",
                    cfg.path.display()
                )))
            }
        };
        chain.require_downgrades = m.require_downgrades;
        let order = chain.verify().order;
        let needs_python = [&m.upgrade, &m.downgrade, &m.stamp, &m.current]
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| t.contains("{python}")));
        let python = if needs_python {
            Some(resolve_python(cfg).await?)
        } else {
            None
        };
        Ok(CommandDriver {
            upgrade: m.upgrade.clone().expect("validated"),
            downgrade: m.downgrade.clone().expect("validated"),
            stamp: m.stamp.clone(),
            current: m.current.clone(),
            version_table: m
                .version_table
                .clone()
                .unwrap_or_else(|| "schema_migrations".into()),
            version_column: m.version_column.clone().unwrap_or_else(|| "version".into()),
            python,
            tool: ToolRunner {
                cwd: cfg.workdir(),
                env: m.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                url_env: m.url_envs(),
                url_scheme: m.url_scheme.clone().unwrap_or_else(|| "mysql".into()),
                redactor: redactor.clone(),
                verbose,
                zygote: None,
            },
            chain,
            order,
        })
    }

    fn render(&self, template: &str, db: &DbTarget, target: &str) -> String {
        let url = self.tool.url(db);
        template
            .replace("{url}", &shell_quote(&url))
            .replace("{target}", &shell_quote(target))
            .replace("{database}", &shell_quote(&db.database))
            .replace(
                "{python}",
                &shell_quote(
                    &self
                        .python
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "python3".into()),
                ),
            )
    }

    /// Targets become explicit revision ids (`base` stays `base`): tools differ in syntax.
    async fn target_id(
        &self,
        db: &DbTarget,
        target: &Target,
    ) -> std::result::Result<String, String> {
        let cur = self
            .version(db)
            .await
            .ok()
            .and_then(|v| v.current(&self.order));
        Ok(target
            .resolve(&self.order, cur.as_deref())?
            .unwrap_or_else(|| "base".into()))
    }

    async fn run_template(&self, template: &str, db: &DbTarget, target: &Target) -> Execution {
        let t = match self.target_id(db, target).await {
            Ok(t) => t,
            Err(e) => return Execution::not_started(template.to_string(), e),
        };
        let line = self.render(template, db, &t);
        self.tool.shell(db, &line).await
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[async_trait::async_trait]
impl MigrationDriver for CommandDriver {
    fn tool(&self) -> ToolKind {
        ToolKind::Command
    }

    fn chain(&self) -> &Chain {
        &self.chain
    }

    fn version_table(&self) -> &str {
        &self.version_table
    }

    async fn upgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.run_template(&self.upgrade, db, target).await
    }

    async fn downgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.run_template(&self.downgrade, db, target).await
    }

    async fn stamp(&self, db: &DbTarget, target: &Target) -> Execution {
        match &self.stamp {
            Some(t) => self.run_template(t, db, target).await,
            None => {
                Execution::not_started("stamp".into(), "no `stamp` template in [migrations]".into())
            }
        }
    }

    async fn version(&self, db: &DbTarget) -> std::result::Result<VersionState, String> {
        let rows = super::read_version_rows(db, &self.version_table, &self.version_column).await?;
        let style = if rows.len() > 1 {
            VersionStyle::PerRevision
        } else {
            VersionStyle::Single
        };
        Ok(VersionState {
            rows,
            dirty: false,
            style,
        })
    }

    async fn app_command(&self, db: &DbTarget, command: &str) -> Execution {
        self.tool.shell(db, command).await
    }

    fn commands(&self) -> ToolCommands {
        ToolCommands {
            upgrade: self
                .upgrade
                .replace("{target}", "<head>")
                .replace("{url}", "$DATABASE_URL"),
            current: self.current.clone().unwrap_or_else(|| {
                format!("SELECT {} FROM {}", self.version_column, self.version_table)
            }),
            downgrade_to: self
                .downgrade
                .replace("{target}", "<revision>")
                .replace("{url}", "$DATABASE_URL"),
        }
    }

    fn versions(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}
