//! `Config`: `harness.toml` parsed and validated; errors carry file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::chain::SqlFormat;
use crate::error::{HarnessError, Result};

/// The file as written. Unknown keys are errors: a typo must not silently disable a check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub project: ProjectConfig,
    #[serde(default)]
    pub server: ServerConfig,
    pub migrations: MigrationsConfig,
    #[serde(default)]
    pub python: PythonConfig,
    #[serde(default)]
    pub baseline: BaselineConfig,
    #[serde(default)]
    pub scenarios: ScenariosConfig,
    #[serde(default)]
    pub probes: Vec<ProbeConfig>,
    pub app_command: Option<AppCommandConfig>,
    #[serde(default)]
    pub production: ProductionConfig,
    #[serde(default)]
    pub compat: CompatConfig,
}

/// What production holds, for estimates at its scale (`[production]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProductionConfig {
    /// Rows per table (`rows = { orders = 5_000_000 }`): a copying or rebuilding statement
    /// on one of these tables is timed at two seeded sizes and extrapolated.
    #[serde(default)]
    pub rows: BTreeMap<String, u64>,
    /// The two seeded sizes timed (default 20,000 and 200,000 rows).
    pub sample_rows: Option<[u64; 2]>,
}

impl ProductionConfig {
    pub const DEFAULT_SAMPLES: [u64; 2] = [20_000, 200_000];

    /// The production row count of `table` (names compare case-insensitively).
    pub fn rows_of(&self, table: &str) -> Option<u64> {
        self.rows
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(table))
            .map(|(_, n)| *n)
    }

    pub fn samples(&self) -> [u64; 2] {
        self.sample_rows.unwrap_or(Self::DEFAULT_SAMPLES)
    }
}

/// `[compat]`: the release production runs today, whose code must keep working on the new
/// schema during a rolling deploy.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompatConfig {
    /// A git ref (tag, branch, commit) of the previous release; `--since` wins.
    pub previous: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    pub name: Option<String>,
}

/// Where the server comes from (`--db`, `[server] db`). Lives here, not in `cli`, so config
/// and provisioning do not depend on the command line.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DbMode {
    Auto,
    Container,
    Local,
    Url,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub db: Option<DbMode>,
    pub image: Option<String>,
    pub binary: Option<PathBuf>,
    /// Name of an environment variable holding the URL; URLs never live in the file.
    pub database_url_env: Option<String>,
    /// Seconds to wait for a server to accept connections.
    pub startup_timeout: Option<u64>,
    /// Servers to run the suite on in one invocation (`src/matrix`): image names, or
    /// `{ binary = "PATH" }` for a local server binary. Used when the command line names
    /// no `--image` / `--server-binary`.
    #[serde(default)]
    pub matrix: Vec<MatrixEntry>,
    /// The account migrations run as: a schema-scoped application user (default, as in
    /// production) or the server's root.
    pub migrate_as: Option<MigrateAs>,
}

/// Who runs the migrations (`[server] migrate_as`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MigrateAs {
    /// An application user with all privileges on the run's databases only (no SUPER): with
    /// the binary log on, CREATE TRIGGER/FUNCTION then fail (1419) as they do in production.
    #[default]
    App,
    /// The server's root account (the harness's own account).
    Root,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum MatrixEntry {
    Image(String),
    Binary { binary: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolKind {
    Alembic,
    Flask,
    Sqldir,
    Command,
    Django,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationsConfig {
    pub tool: ToolKind,
    /// alembic/flask: the versions directory (default `migrations/versions`);
    /// sqldir: the SQL directory.
    pub dir: Option<PathBuf>,
    /// Directory the tool runs in (default: the config file's directory).
    pub workdir: Option<PathBuf>,
    /// alembic: the ini file (default alembic.ini).
    pub alembic_ini: Option<PathBuf>,
    /// alembic: extra `-x key=value` arguments.
    #[serde(default)]
    pub x_args: Vec<String>,
    /// flask: the `--app` value; django: the app label(s) to migrate, comma-separated (with
    /// everything they depend on; default every app with migrations).
    pub app: Option<String>,
    /// django: the settings module (default: the one manage.py sets).
    pub settings: Option<String>,
    /// django: where manage.py is (default `manage.py`); the tools run in its directory.
    pub manage: Option<PathBuf>,
    /// Environment variable(s) the project reads its database URL from; every one named is
    /// set (`url_env = ["DATABASE_URL", "SQLALCHEMY_DATABASE_URI"]`).
    pub url_env: Option<OneOrMany>,
    /// URL scheme handed to the tool: `mysql+pymysql` (SQLAlchemy) or `mysql`.
    pub url_scheme: Option<String>,
    /// sqldir: file layout and version table, one of `chain::formats::FORMATS` by name.
    #[serde(default, deserialize_with = "crate::chain::formats::deserialize")]
    pub format: Option<&'static dyn SqlFormat>,
    /// sqldir: SQL run at the start of every migration session.
    #[serde(default)]
    pub init_sql: Vec<String>,
    /// command: templates with `{url}`, `{target}`, `{python}` placeholders.
    pub upgrade: Option<String>,
    pub downgrade: Option<String>,
    pub stamp: Option<String>,
    pub current: Option<String>,
    /// command: the ordered revision list, when the tool cannot print one.
    #[serde(default)]
    pub revisions: Vec<String>,
    /// command: a template printing the revisions in order, one a line (`[X] id` marks ok).
    pub list: Option<String>,
    /// command: where the tool keeps its version (default schema_migrations.version).
    pub version_table: Option<String>,
    pub version_column: Option<String>,
    /// command: a filter for the version table's rows (`app = 'api'`).
    pub version_where: Option<String>,
    /// command: the whole query reading the applied revisions (first column).
    pub version_query: Option<String>,
    /// Extra environment for the tool processes.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Empty downgrades are errors instead of warnings.
    #[serde(default)]
    pub require_downgrades: bool,
    /// sqldir (golang-migrate): send empty files to the server as golang-migrate does
    /// (MySQL answers 1065 "Query was empty"), or skip them as some runners do.
    #[serde(default)]
    pub empty_files: EmptyFiles,
}

/// What the sqldir driver does with an empty migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EmptyFiles {
    #[default]
    Send,
    Skip,
}

/// A key that takes one string or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl MigrationsConfig {
    /// The variables the database URL is handed in (default `DATABASE_URL`).
    pub fn url_envs(&self) -> Vec<String> {
        match &self.url_env {
            None => vec!["DATABASE_URL".into()],
            Some(OneOrMany::One(v)) => vec![v.clone()],
            Some(OneOrMany::Many(v)) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonConfig {
    /// Interpreter to run the tools with (a venv's `bin/python`).
    pub python: Option<PathBuf>,
    /// Requirements file: the harness creates and reuses a venv for it.
    pub requirements: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineConfig {
    pub revision: Option<String>,
    /// Drift fixture: SQL that turns the clean baseline into what production really holds.
    #[serde(default)]
    pub setup_sql: Vec<String>,
    /// Hand-applied fix for the hot-fix variant of `reapply` (default: derived from the diff).
    #[serde(default)]
    pub hotfix_sql: Vec<String>,
}

/// How much an opinionated check counts: `required` fails the run, `warn` reports a failure
/// as a warning, `off` does not run it. Ordinary migrations (a plain `ADD COLUMN`) cannot
/// pass every opinionated check, so the default is `warn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strictness {
    Required,
    #[default]
    Warn,
    Off,
}

/// How failures of revisions outside the gate's scope (deployed before the baseline, or
/// unchanged since `--since`) count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum History {
    /// Reported as warnings: the gate is about today's revisions.
    #[default]
    Informational,
    /// Judged like new revisions.
    Strict,
}

/// Which revisions the per-revision checks (round trips, crash-resume) exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PerRevision {
    /// Every revision of the chain: older ones' findings are history.
    #[default]
    All,
    /// Only the revisions the gate judges (after the baseline, or changed since `--since`):
    /// faster on a long chain, silent about history.
    New,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenariosConfig {
    /// Re-running the head over its own changes (the `idempotency` scenario).
    #[serde(default)]
    pub idempotency: Strictness,
    /// The hand-applied half of `reapply`: upgrading over a hot-fix applied by hand.
    #[serde(default)]
    pub hotfix: Strictness,
    /// The head's queries must fail with 1054 against the rolled-back schema.
    #[serde(default, alias = "reproduce-error")]
    pub reproduce_error: Strictness,
    /// Crash-resume: a migration that cannot be re-run after stopping mid-way.
    #[serde(default)]
    pub resumable: Strictness,
    /// Online DDL: a statement that copies its table or locks out its writers.
    #[serde(default)]
    pub online_ddl: Strictness,
    /// Code and schema out of step: the previous release's code on the new schema, the new
    /// code on the old one (the `compat` scenario).
    #[serde(default)]
    pub compat: Strictness,
    /// Failures of revisions older than the gate's scope.
    #[serde(default)]
    pub history: History,
    /// Which revisions round trips and crash-resume exercise.
    #[serde(default)]
    pub per_revision: PerRevision,
    /// Step timeout in seconds (default 300).
    pub timeout: Option<u64>,
    pub jobs: Option<usize>,
    /// Project scenario files (default `scenarios/` beside the config, if present).
    pub dir: Option<PathBuf>,
}

impl ScenariosConfig {
    /// The setting of one opinionated check.
    pub fn strictness(&self, key: StrictnessKey) -> Strictness {
        match key {
            StrictnessKey::Idempotency => self.idempotency,
            StrictnessKey::Hotfix => self.hotfix,
            StrictnessKey::ReproduceError => self.reproduce_error,
            StrictnessKey::Resumable => self.resumable,
            StrictnessKey::OnlineDdl => self.online_ddl,
            StrictnessKey::Compat => self.compat,
        }
    }
}

/// The opinionated checks a scenario file can place itself (or some of its steps) under;
/// each has a `[scenarios]` key of the same name with `off | warn | required`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StrictnessKey {
    Idempotency,
    Hotfix,
    #[serde(alias = "reproduce-error")]
    ReproduceError,
    Resumable,
    #[serde(alias = "online-ddl")]
    OnlineDdl,
    Compat,
}

impl StrictnessKey {
    /// The `[scenarios]` key that sets it.
    pub fn key(self) -> &'static str {
        match self {
            StrictnessKey::Idempotency => "idempotency",
            StrictnessKey::Hotfix => "hotfix",
            StrictnessKey::ReproduceError => "reproduce_error",
            StrictnessKey::Resumable => "resumable",
            StrictnessKey::OnlineDdl => "online_ddl",
            StrictnessKey::Compat => "compat",
        }
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    pub name: String,
    pub sql: String,
    /// Whose query it is: the release under test (`next`, the default) or the one
    /// production runs today (`previous`, for the compat check).
    #[serde(default)]
    pub release: crate::compat::Release,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppCommandConfig {
    /// e.g. `flask db current`; `flask`/`alembic`/`python` run from the project's Python.
    pub run: String,
}

/// A loaded config: the raw file plus where it lives (paths resolve against `dir`).
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub raw: RawConfig,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).map_err(|source| HarnessError::ConfigUnreadable {
                path: path.to_path_buf(),
                source,
            })?;
        let raw = parse(&text, path)?;
        let dir = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        let cfg = Config {
            path: path.to_path_buf(),
            dir,
            raw,
        };
        cfg.validate(&text)?;
        Ok(cfg)
    }

    /// Resolves a path from the file against the file's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    pub fn workdir(&self) -> PathBuf {
        let m = &self.raw.migrations;
        match (&m.workdir, m.tool) {
            (Some(p), _) => self.resolve(p),
            (None, ToolKind::Django) => self
                .manage_py()
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| self.dir.clone()),
            (None, _) => self.dir.clone(),
        }
    }

    /// django: manage.py (`[migrations] manage`, default `manage.py` beside the config).
    pub fn manage_py(&self) -> PathBuf {
        self.resolve(
            self.raw
                .migrations
                .manage
                .as_deref()
                .unwrap_or(Path::new("manage.py")),
        )
    }

    pub fn migrations_dir(&self) -> PathBuf {
        let m = &self.raw.migrations;
        match (&m.dir, m.tool) {
            (Some(d), _) => self.resolve(d),
            (None, ToolKind::Sqldir) => self.resolve(Path::new("migrations")),
            // Django finds each app's migrations itself.
            (None, ToolKind::Django) => self.workdir(),
            // Without `dir`, Alembic's own answer: alembic.ini's version_locations or
            // script_location.
            (None, ToolKind::Alembic) => {
                let ini =
                    self.resolve(m.alembic_ini.as_deref().unwrap_or(Path::new("alembic.ini")));
                crate::chain::alembic_ini::version_dirs(&ini)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| self.resolve(Path::new("migrations/versions")))
            }
            (None, _) => self.resolve(Path::new("migrations/versions")),
        }
    }

    /// Checks that need more than types; points at the key's line.
    fn validate(&self, text: &str) -> Result<()> {
        let m = &self.raw.migrations;
        let missing = |key: &str, why: &str| -> HarnessError {
            let (line, column) = find_key(text, "tool").unwrap_or((1, 1));
            HarnessError::Config {
                file: self.path.clone(),
                line,
                column,
                message: format!("[migrations] needs `{key}` {why}"),
            }
        };
        match m.tool {
            ToolKind::Flask if m.app.is_none() => {
                return Err(missing(
                    "app",
                    "for tool = \"flask\" (the --app value, e.g. \"app\")",
                ))
            }
            ToolKind::Sqldir if m.format.is_none() => {
                return Err(missing(
                    "format",
                    &format!("for tool = \"sqldir\": {}", crate::chain::formats::names()),
                ))
            }
            ToolKind::Command if m.version_where.is_some() && m.version_query.is_some() => {
                let (line, column) = find_key(text, "version_where").unwrap_or((1, 1));
                return Err(HarnessError::Config {
                    file: self.path.clone(),
                    line,
                    column,
                    message: "`version_where` and `version_query` exclude each other: the query is the whole SELECT".into(),
                });
            }
            ToolKind::Command if m.upgrade.is_none() || m.downgrade.is_none() => {
                return Err(missing(
                    "upgrade and downgrade",
                    "templates for tool = \"command\"",
                ))
            }
            _ => {}
        }
        if let Some(0) = self.raw.scenarios.timeout {
            let (line, column) = find_key(text, "timeout").unwrap_or((1, 1));
            return Err(HarnessError::Config {
                file: self.path.clone(),
                line,
                column,
                message: "`timeout` must be at least 1 second".into(),
            });
        }
        if let Some([a, b]) = self.raw.production.sample_rows {
            if a == 0 || a == b {
                let (line, column) = find_key(text, "sample_rows").unwrap_or((1, 1));
                return Err(HarnessError::Config {
                    file: self.path.clone(),
                    line,
                    column,
                    message:
                        "`sample_rows` needs two different sizes above 0, e.g. [20000, 200000]"
                            .into(),
                });
            }
        }
        Ok(())
    }
}

/// Parses TOML into `RawConfig`, turning the parser's byte span into line:column.
pub fn parse(text: &str, path: &Path) -> Result<RawConfig> {
    toml::from_str::<RawConfig>(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        HarnessError::Config {
            file: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

fn find_key(text: &str, key: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let t = l.trim_start();
        (t.starts_with(key) && t[key.len()..].trim_start().starts_with('='))
            .then(|| (i + 1, l.len() - t.len() + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_toml_names_line_and_column() {
        let text =
            "[migrations]\ntool = \"flask\"\napp = \"app\"\n[scenarios]\ntimeout = \"soon\"\n";
        let err = parse(text, Path::new("h.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("h.toml:5:11:"), "{msg}");
        assert!(msg.contains("expected u64"), "{msg}");
    }

    #[test]
    fn unknown_key_is_an_error_with_position() {
        let text = "[migrations]\ntool = \"flask\"\napp = \"app\"\nrequire_downgrade = true\n";
        let msg = parse(text, Path::new("h.toml")).unwrap_err().to_string();
        assert!(msg.starts_with("h.toml:4:1:"), "{msg}");
        assert!(msg.contains("unknown field `require_downgrade`"), "{msg}");
    }

    #[test]
    fn unknown_tool_lists_the_valid_ones() {
        let text = "[migrations]\ntool = \"liquibase\"\n";
        let msg = parse(text, Path::new("h.toml")).unwrap_err().to_string();
        assert!(msg.contains("h.toml:2:8"), "{msg}");
        assert!(msg.contains("alembic") && msg.contains("sqldir"), "{msg}");
    }

    #[test]
    fn production_rows_and_the_online_ddl_key_parse_and_equal_sample_sizes_are_refused() {
        let text = "[migrations]\ntool = \"sqldir\"\nformat = \"dbmate\"\n[scenarios]\nonline_ddl = \"required\"\n[production]\nrows = { Orders = 5_000_000 }\n";
        let raw = parse(text, Path::new("h.toml")).unwrap();
        assert_eq!(raw.scenarios.online_ddl, Strictness::Required);
        assert_eq!(raw.production.rows_of("orders"), Some(5_000_000));
        assert_eq!(raw.production.rows_of("users"), None);
        assert_eq!(raw.production.samples(), [20_000, 200_000]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("harness.toml");
        let bad = format!("{text}sample_rows = [1000, 1000]\n");
        std::fs::write(&path, &bad).unwrap();
        let msg = Config::load(&path).unwrap_err().to_string();
        assert!(msg.contains("harness.toml:8:1"), "{msg}");
        assert!(msg.contains("two different sizes"), "{msg}");
    }

    #[test]
    fn version_where_and_version_query_exclude_each_other_at_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.toml");
        std::fs::write(
            &path,
            "[migrations]\ntool = \"command\"\nupgrade = \"u\"\ndowngrade = \"d\"\nversion_where = \"app = 'api'\"\nversion_query = \"SELECT 1\"\n",
        )
        .unwrap();
        let msg = Config::load(&path).unwrap_err().to_string();
        assert!(msg.contains("h.toml:5:1"), "{msg}");
        assert!(msg.contains("exclude each other"), "{msg}");
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
