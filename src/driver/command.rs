//! `CommandDriver`: any migration tool through command templates (`{url}`, `{target}`,
//! `{python}`, `{database}`, and `{app}`/`{name}` for per-app tools such as Django), reading
//! the version from a configurable table, filter or query, and the revision order from a
//! `list` command when `revisions` are not written out.

use std::path::PathBuf;
use std::time::Duration;

use super::per_app::{moves, AppMove};
use super::python::resolve_python;
use super::tool::ToolRunner;
use super::{
    DbTarget, DriverError, Execution, MigrationDriver, Target, TargetError, ToolCommands,
    VersionState, VersionStyle,
};
use crate::chain::{parse_sql_dir, Chain, Revision};
use crate::config::{Config, ToolKind};
use crate::error::{HarnessError, IoAction, ProjectError, Result};
use crate::redact::Redactor;

pub struct CommandDriver {
    upgrade: String,
    downgrade: String,
    stamp: Option<String>,
    current: Option<String>,
    version_table: String,
    version_column: String,
    version_where: Option<String>,
    version_query: Option<String>,
    python: Option<PathBuf>,
    tool: ToolRunner,
    chain: Chain,
    order: Vec<String>,
}

impl CommandDriver {
    pub async fn load(cfg: &Config, redactor: &Redactor, verbose: bool) -> Result<Self> {
        let m = &cfg.raw.migrations;
        let needs_python = [&m.upgrade, &m.downgrade, &m.stamp, &m.current, &m.list]
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| t.contains("{python}")));
        let python = if needs_python {
            Some(resolve_python(cfg).await?)
        } else {
            None
        };
        let tool = ToolRunner {
            cwd: cfg.workdir(),
            env: m.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            url_env: m.url_envs(),
            url_scheme: m.url_scheme.clone().unwrap_or_else(|| "mysql".into()),
            redactor: redactor.clone(),
            verbose,
            zygote: None,
        };
        let mut chain = match (m.format, m.revisions.is_empty(), &m.list) {
            (Some(f), _, _) => {
                parse_sql_dir(&cfg.migrations_dir(), f)
                    .map_err(HarnessError::io(IoAction::Read, cfg.migrations_dir()))?
                    .0
            }
            (None, false, _) => linear_chain(&m.revisions),
            (None, true, Some(list)) => {
                let ids = list_revisions(&tool, list, python.as_ref(), cfg).await?;
                linear_chain(&ids)
            }
            (None, true, None) => {
                return Err(HarnessError::project(
                    &cfg.path,
                    ProjectError::NoRevisionSource,
                ))
            }
        };
        chain.require_downgrades = m.require_downgrades;
        let order = chain.verify().order;
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
            version_where: m.version_where.clone(),
            version_query: m.version_query.clone(),
            python,
            tool,
            chain,
            order,
        })
    }

    fn render(&self, template: &str, db: &DbTarget, target: &str) -> String {
        let url = self.tool.url(db);
        render_python(template, self.python.as_ref())
            .replace("{url}", &shell_quote(&url))
            .replace("{target}", &shell_quote(target))
            .replace("{database}", &shell_quote(&db.database))
    }

    /// Targets become explicit revision ids (`base` stays `base`): tools differ in syntax.
    async fn target_id(
        &self,
        db: &DbTarget,
        target: &Target,
    ) -> std::result::Result<String, TargetError> {
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
        if template.contains("{app}") || template.contains("{name}") {
            return self.run_per_app(template, db, target).await;
        }
        let t = match self.target_id(db, target).await {
            Ok(t) => t,
            Err(e) => return Execution::not_started(template.to_string(), e.to_string()),
        };
        let line = self.render(template, db, &t);
        self.tool.shell(db, &line).await
    }

    /// A per-app tool (Django): one run of the template for every app whose revisions must
    /// change to reach the target's prefix of the order, `{name}` being `zero` for an app
    /// left with nothing applied; the first failure ends the sequence.
    async fn run_per_app(&self, template: &str, db: &DbTarget, target: &Target) -> Execution {
        let plan = async {
            let applied = self.version(db).await?.rows;
            let cur = super::VersionState {
                rows: applied.clone(),
                dirty: false,
                style: VersionStyle::PerRevision,
            }
            .current(&self.order);
            let to = target.resolve(&self.order, cur.as_deref())?;
            Ok::<_, DriverError>((moves(&self.order, &applied, to.as_deref())?, to))
        };
        let (plan, to) = match plan.await {
            Ok(p) => p,
            Err(e) => return Execution::not_started(template.to_string(), e.to_string()),
        };
        let target_id = to.unwrap_or_else(|| "base".into());
        let mut runs: Vec<Execution> = Vec::new();
        for AppMove { app, name } in &plan {
            let line = self
                .render(template, db, &target_id)
                .replace("{app}", &shell_quote(app))
                .replace("{name}", &shell_quote(name.as_deref().unwrap_or("zero")));
            let e = self.tool.shell(db, &line).await;
            let stop = !e.ok();
            runs.push(e);
            if stop {
                break;
            }
        }
        merge_runs(runs, &target_id)
    }
}

/// Several template runs as one `Execution`: the commands joined, the logs in order, the
/// last run's outcome (every earlier one succeeded).
fn merge_runs(runs: Vec<Execution>, target: &str) -> Execution {
    let Some(last) = runs.last().cloned() else {
        let mut e = Execution::not_started(format!("(already at {target})"), String::new());
        e.outcome = super::Outcome::Succeeded;
        e.exit_code = Some(0);
        return e;
    };
    let join = |f: fn(&Execution) -> &str| {
        runs.iter()
            .map(f)
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    Execution {
        command: join(|e| &e.command).replace('\n', " && "),
        stdout: join(|e| &e.stdout),
        stderr: join(|e| &e.stderr),
        duration_ms: runs.iter().map(|e| e.duration_ms).sum(),
        ..last
    }
}

/// The query reading the applied revisions: the user's whole query, or the version column
/// of the version table, filtered when the table is shared (`app = 'api'`).
fn version_sql(table: &str, column: &str, filter: Option<&str>, query: Option<&str>) -> String {
    match query {
        Some(q) => q.to_string(),
        None => format!(
            "SELECT {} FROM {}{}",
            crate::db::ident(column),
            crate::db::ident(table),
            filter.map(|w| format!(" WHERE {w}")).unwrap_or_default()
        ),
    }
}

/// A chain in the given order, each revision the parent of the next.
fn linear_chain(ids: &[String]) -> Chain {
    let mut c = Chain::default();
    for (i, r) in ids.iter().enumerate() {
        let parents: Vec<&str> = if i == 0 {
            vec![]
        } else {
            vec![ids[i - 1].as_str()]
        };
        c.revisions.push(Revision::new(r, &parents, ""));
    }
    c
}

fn render_python(template: &str, python: Option<&PathBuf>) -> String {
    template.replace(
        "{python}",
        &shell_quote(
            &python
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "python3".into()),
        ),
    )
}

/// Runs the `list` template (before any server exists: no database placeholders) and reads
/// the revision order it prints.
async fn list_revisions(
    tool: &ToolRunner,
    template: &str,
    python: Option<&PathBuf>,
    cfg: &Config,
) -> Result<Vec<String>> {
    if let Some(p) = ["{url}", "{database}", "{target}", "{app}", "{name}"]
        .iter()
        .find(|p| template.contains(*p))
    {
        return Err(HarnessError::project(
            &cfg.path,
            ProjectError::ListNeedsDatabase {
                placeholder: p,
                template: template.to_string(),
            },
        ));
    }
    let line = render_python(template, python);
    let e = tool.shell_offline(&line, Duration::from_secs(120)).await;
    if !e.ok() {
        return Err(HarnessError::project(
            &cfg.path,
            ProjectError::ListFailed {
                outcome: format!("{:?}", e.outcome),
                log: super::process::clean_text(&e.log()),
                command: e.command,
            },
        ));
    }
    let ids = parse_revision_list(&e.stdout);
    if ids.is_empty() {
        return Err(HarnessError::project(
            &cfg.path,
            ProjectError::ListEmpty {
                stdout: e.stdout.trim().to_string(),
                command: e.command,
            },
        ));
    }
    Ok(ids)
}

/// Revisions as a list command prints them, in order: `[X]  api.0001_initial` (Django's
/// `showmigrations --plan`; the first word after the mark) or a bare id alone on its line.
/// Other lines (headings, blank lines, sentences) are not revisions.
pub fn parse_revision_list(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let marked = ["[X]", "[x]", "[ ]", "[-]"]
                .iter()
                .find_map(|m| l.strip_prefix(m));
            match marked {
                Some(rest) => rest.split_whitespace().next().map(str::to_string),
                None if !l.is_empty() && !l.contains(char::is_whitespace) => Some(l.to_string()),
                None => None,
            }
        })
        .filter(|id| !id.starts_with('(') && !id.ends_with(':'))
        .collect()
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

    async fn version(&self, db: &DbTarget) -> std::result::Result<VersionState, DriverError> {
        let sql = version_sql(
            &self.version_table,
            &self.version_column,
            self.version_where.as_deref(),
            self.version_query.as_deref(),
        );
        let rows = super::read_version_query(db, &sql).await?;
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
                self.version_query.clone().unwrap_or_else(|| {
                    format!("SELECT {} FROM {}", self.version_column, self.version_table)
                })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn django_plan_lines_become_revisions_in_order() {
        let out = "[X]  accounts.0001_initial\n[ ]  api.0001_initial\n[ ]  accounts.0002_customer_email\n";
        assert_eq!(
            parse_revision_list(out),
            [
                "accounts.0001_initial",
                "api.0001_initial",
                "accounts.0002_customer_email"
            ]
        );
    }

    #[test]
    fn bare_ids_count_and_sentences_headings_and_notes_do_not() {
        let out =
            "Planned operations:\n0001\n\n 0002 \nno more migrations here\n[ ] (no migrations)\n";
        assert_eq!(parse_revision_list(out), ["0001", "0002"]);
    }

    #[test]
    fn a_shared_version_table_is_read_through_its_filter_or_the_whole_query() {
        assert_eq!(
            version_sql("django_migrations", "name", Some("app = 'api'"), None),
            "SELECT `name` FROM `django_migrations` WHERE app = 'api'"
        );
        assert_eq!(
            version_sql("schema_migrations", "version", None, None),
            "SELECT `version` FROM `schema_migrations`"
        );
        let q = "SELECT CONCAT(app, '.', name) FROM django_migrations";
        assert_eq!(version_sql("django_migrations", "name", None, Some(q)), q);
    }

    #[test]
    fn verbose_plan_lines_keep_only_the_id() {
        let out = "[X]  api.0001_initial (applied at 2026-01-01 10:00:00)\n";
        assert_eq!(parse_revision_list(out), ["api.0001_initial"]);
    }
}
