//! `DjangoDriver`: Django projects in warm in-process workers (`worker/mh_django.py`): the
//! graph from Django's `MigrationLoader`, migrations through `call_command("migrate", …)`,
//! every statement captured with the migration that sent it. Revisions are named
//! `app.name` (`api.0002_apikey_label`) and walked in one dependency order across apps.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use super::alembic::execution;
use super::per_app::{moves, AppMove};
use super::python::resolve_python;
use super::tool::ToolRunner;
use super::worker::{WorkerError, WorkerPool, WorkerScript, WorkerSpec};
use super::{
    DbTarget, DriverError, Execution, MigrationDriver, Target, ToolCommands, VersionState,
    VersionStyle,
};
use crate::chain::{Chain, DowngradeKind, GraphSource, Revision};
use crate::config::{Config, ToolKind};
use crate::error::{HarnessError, ProjectError, Result};
use crate::redact::Redactor;

/// Loading the graph imports every migration module once.
const GRAPH_TIMEOUT: Duration = Duration::from_secs(180);

pub struct DjangoDriver {
    python: PathBuf,
    tool: ToolRunner,
    pool: WorkerPool,
    redactor: Redactor,
    chain: Chain,
    order: Vec<String>,
    /// Apps the chain covers, for the version query.
    apps: Vec<String>,
    /// Apps the user named (`[migrations] app`); empty: all.
    selected: Vec<String>,
    versions: Vec<(String, String)>,
}

/// The settings module manage.py names (`os.environ.setdefault("DJANGO_SETTINGS_MODULE", …)`).
pub fn settings_from_manage(text: &str) -> Option<String> {
    let at = text.find("DJANGO_SETTINGS_MODULE")?;
    let rest = &text[at + "DJANGO_SETTINGS_MODULE".len()..];
    let rest = rest.trim_start().strip_prefix(['"', '\''])?;
    let rest = rest.trim_start().strip_prefix(',')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &rest[1..];
    body.find(quote).map(|end| body[..end].to_string())
}

impl DjangoDriver {
    pub async fn load(cfg: &Config, redactor: &Redactor, verbose: bool) -> Result<Self> {
        let m = &cfg.raw.migrations;
        let manage = cfg.manage_py();
        let manage_text = std::fs::read_to_string(&manage).map_err(|source| {
            HarnessError::project(
                &cfg.path,
                ProjectError::ManageUnreadable {
                    manage: manage.clone(),
                    source,
                },
            )
        })?;
        let settings = match m
            .settings
            .clone()
            .or_else(|| settings_from_manage(&manage_text))
        {
            Some(s) => s,
            None => {
                return Err(HarnessError::project(
                    &cfg.path,
                    ProjectError::NoDjangoSettings { manage },
                ))
            }
        };
        let selected: Vec<String> = m
            .app
            .as_deref()
            .map(|a| {
                a.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let python = resolve_python(cfg).await?;
        let env: Vec<(String, String)> =
            m.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let (pool, mut versions) = WorkerPool::start(WorkerSpec {
            script: WorkerScript::Django,
            python: python.clone(),
            cwd: cfg.workdir(),
            env: env.clone(),
            conf: json!({"workdir": cfg.workdir(), "settings": settings}),
        })
        .await?;
        versions.push((
            "runner".into(),
            "in-process Django worker (warm Python processes, statement capture)".into(),
        ));
        let graph = match pool
            .call(json!({"cmd": "graph", "apps": selected}), GRAPH_TIMEOUT)
            .await
        {
            Ok(r) if r.ok => r.result,
            Ok(r) => {
                return Err(HarnessError::project(
                    &cfg.path,
                    ProjectError::DjangoLoad {
                        reason: redactor.redact(&super::process::last_line(
                            r.exception.as_deref().unwrap_or(""),
                        )),
                    },
                ))
            }
            Err(f) => {
                return Err(WorkerError::Graph {
                    worker: WorkerScript::Django.name(),
                    failure: f,
                }
                .into())
            }
        };
        let mut chain = chain_from_graph(&graph, cfg)?;
        chain.require_downgrades = m.require_downgrades;
        let order = chain.verify().order;
        let mut apps: Vec<String> = Vec::new();
        for id in &order {
            if let Some((a, _)) = super::per_app::split_id(id) {
                if !apps.iter().any(|x| x == a) {
                    apps.push(a.to_string());
                }
            }
        }
        let tool = ToolRunner {
            cwd: cfg.workdir(),
            env,
            url_env: m.url_envs(),
            url_scheme: m.url_scheme.clone().unwrap_or_else(|| "mysql".into()),
            redactor: redactor.clone(),
            verbose,
            // `manage.py` commands are not `python -m …`: nothing to fork them from.
            zygote: None,
        };
        Ok(DjangoDriver {
            python,
            tool,
            pool,
            redactor: redactor.clone(),
            chain,
            order,
            apps,
            selected,
            versions,
        })
    }

    /// Moves the database to `target` (a prefix of the order) through per-app `migrate` calls.
    async fn migrate(
        &self,
        db: &DbTarget,
        target: &Target,
        fake: bool,
        stop_after: Option<usize>,
    ) -> Execution {
        let plan = async {
            let applied = self.version(db).await?;
            let cur = applied.current(&self.order);
            let to = target.resolve(&self.order, cur.as_deref())?;
            moves(&self.order, &applied.rows, to.as_deref()).map(|m| (m, to))
        };
        let (plan, to) = match plan.await {
            Ok(p) => p,
            Err(e) => {
                return Execution::not_started(format!("manage.py migrate {target}"), e.to_string())
            }
        };
        let shown = shown_command(&plan, fake, to.as_deref());
        let mut req = json!({
            "cmd": "migrate",
            "moves": plan.iter().map(|m| json!([m.app, m.name_or_zero()])).collect::<Vec<Value>>(),
            "fake": fake,
            "url": self.tool.url(db),
        });
        if let (Some(k), Some(rev)) = (stop_after, to) {
            req["stop_revision"] = json!(rev);
            req["stop_after"] = json!(k);
        }
        let reply = self.pool.call(req, db.timeout).await;
        execution(
            shown,
            reply,
            db.timeout,
            &self.redactor,
            WorkerScript::Django,
        )
    }
}

/// `manage.py migrate api 0001_initial && manage.py migrate accounts zero`.
fn shown_command(plan: &[AppMove], fake: bool, to: Option<&str>) -> String {
    if plan.is_empty() {
        return format!("manage.py migrate (already at {})", to.unwrap_or("base"));
    }
    plan.iter()
        .map(|m| format!("manage.py migrate {m}{}", if fake { " --fake" } else { "" }))
        .collect::<Vec<_>>()
        .join(" && ")
}

/// The graph as Django's MigrationLoader planned it: one order across apps (each revision's
/// parent is the one before it), the real dependencies kept as `depends_on`.
fn chain_from_graph(v: &Value, cfg: &Config) -> std::result::Result<Chain, DriverError> {
    let revs = v["revisions"]
        .as_array()
        .ok_or(DriverError::NoRevisionList { tool: "Django" })?;
    let mut revisions = Vec::new();
    let mut prev: Option<String> = None;
    for r in revs {
        let id = r["id"].as_str().unwrap_or_default().to_string();
        let ops: Vec<&str> = r["operations"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let file = r["file"].as_str().map(PathBuf::from);
        let line = file.as_ref().and_then(|f| {
            std::fs::read_to_string(f)
                .ok()?
                .lines()
                .position(|l| l.starts_with("class Migration"))
                .map(|i| i + 1)
        });
        revisions.push(Revision {
            parents: prev.iter().cloned().collect(),
            depends_on: r["depends_on"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            description: ops.join("; "),
            file: file.map(|f| f.strip_prefix(&cfg.dir).map(PathBuf::from).unwrap_or(f)),
            line,
            downgrade: if r["irreversible"].is_string() {
                DowngradeKind::Irreversible
            } else {
                DowngradeKind::Present
            },
            branch_labels: Vec::new(),
            id: id.clone(),
        });
        prev = Some(id);
    }
    Ok(Chain {
        revisions,
        source: GraphSource::Tool {
            name: "Django MigrationLoader".into(),
        },
        ..Default::default()
    })
}

#[async_trait::async_trait]
impl MigrationDriver for DjangoDriver {
    fn tool(&self) -> ToolKind {
        ToolKind::Django
    }

    fn chain(&self) -> &Chain {
        &self.chain
    }

    fn version_table(&self) -> &str {
        "django_migrations"
    }

    async fn upgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.migrate(db, target, false, None).await
    }

    async fn upgrade_interrupted(
        &self,
        db: &DbTarget,
        target: &Target,
        stop_after: usize,
    ) -> Option<Execution> {
        Some(self.migrate(db, target, false, Some(stop_after)).await)
    }

    async fn downgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.migrate(db, target, false, None).await
    }

    async fn stamp(&self, db: &DbTarget, target: &Target) -> Execution {
        self.migrate(db, target, true, None).await
    }

    async fn version(&self, db: &DbTarget) -> std::result::Result<VersionState, DriverError> {
        let apps = self
            .apps
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT CONCAT(app, '.', name) FROM django_migrations WHERE app IN ({}) ORDER BY id",
            if apps.is_empty() { "''".into() } else { apps }
        );
        Ok(VersionState {
            rows: super::read_version_query(db, &sql).await?,
            dirty: false,
            style: VersionStyle::PerRevision,
        })
    }

    async fn model_check(&self, db: &DbTarget) -> Option<Execution> {
        let mut argv = vec![
            self.python.display().to_string(),
            "manage.py".into(),
            "makemigrations".into(),
            "--check".into(),
            "--dry-run".into(),
        ];
        argv.extend(self.selected.iter().cloned());
        let shown = argv[1..].join(" ");
        Some(self.tool.run(db, argv, &shown).await)
    }

    async fn shutdown(&self) {
        self.pool.shutdown().await;
    }

    async fn deploy(&self, db: &DbTarget) -> Option<Execution> {
        // The production command, as a real process with the project's own settings.
        let mut argv = vec![
            self.python.display().to_string(),
            "manage.py".into(),
            "migrate".into(),
            "--noinput".into(),
        ];
        if let [one] = self.selected.as_slice() {
            argv.push(one.clone());
        }
        let shown = argv[1..].join(" ");
        Some(self.tool.run(db, argv, &shown).await)
    }

    async fn app_command(&self, db: &DbTarget, command: &str) -> Execution {
        // `python …` and `manage.py …` run with the project's Python.
        let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
        let py = self.python.display().to_string();
        let argv: Vec<String> = match words.first().map(String::as_str) {
            Some("python") | Some("python3") => std::iter::once(py)
                .chain(words[1..].iter().cloned())
                .collect(),
            Some("manage.py") | Some("./manage.py") => [py, "manage.py".into()]
                .into_iter()
                .chain(words[1..].iter().cloned())
                .collect(),
            _ => words,
        };
        self.tool.run(db, argv, command).await
    }

    fn commands(&self) -> ToolCommands {
        ToolCommands {
            upgrade: "python manage.py migrate".into(),
            current: "python manage.py showmigrations --plan".into(),
            downgrade_to: "python manage.py migrate <app> <migration>".into(),
        }
    }

    fn versions(&self) -> Vec<(String, String)> {
        self.versions.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_module_is_read_from_manage_py() {
        let text =
            "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"mhsite.settings\")\n";
        assert_eq!(
            settings_from_manage(text).as_deref(),
            Some("mhsite.settings")
        );
        let single = "os.environ.setdefault('DJANGO_SETTINGS_MODULE','conf.prod')";
        assert_eq!(settings_from_manage(single).as_deref(), Some("conf.prod"));
        assert_eq!(settings_from_manage("print('hi')"), None);
    }

    #[test]
    fn several_moves_read_as_one_command_line() {
        let plan = vec![
            AppMove {
                app: "api".into(),
                name: Some("0001_initial".into()),
            },
            AppMove {
                app: "accounts".into(),
                name: None,
            },
        ];
        assert_eq!(
            shown_command(&plan, true, None),
            "manage.py migrate api 0001_initial --fake && manage.py migrate accounts zero --fake"
        );
        assert_eq!(
            shown_command(&[], false, Some("api.0001_initial")),
            "manage.py migrate (already at api.0001_initial)"
        );
    }
}
