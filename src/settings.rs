//! `RunSettings`: every setting of a run resolved once, in this one place — flag over
//! environment over harness.toml over default — into typed fields. The command-line type
//! stops here: the library below `main` reads settings, and a matrix child gets its command
//! line back from them (`to_args`), so no flag can be dropped on the way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::Cli;
use crate::config::{Config, DbMode, MatrixEntry};
use crate::error::Result;
use crate::partition::Partition;
use crate::provision::{ProvisionRequest, DEFAULT_IMAGE};
use crate::report::Format;

/// Step timeout when neither `--timeout` nor `[scenarios] timeout` says.
const DEFAULT_TIMEOUT_S: u64 = 300;
/// Seconds a server gets to accept connections when `[server] startup_timeout` is unset.
const DEFAULT_STARTUP_S: u64 = 180;

/// Which scenarios run: `all`, or these ids in this order (checked by the planner, which
/// knows the available scenarios).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioSelection {
    All,
    Ids(Vec<String>),
}

impl ScenarioSelection {
    /// `all` or a comma-separated list of ids (blanks dropped).
    pub fn parse(text: &str) -> Self {
        if text.trim() == "all" {
            return ScenarioSelection::All;
        }
        ScenarioSelection::Ids(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    /// Back to the `--scenario` value.
    pub fn to_arg(&self) -> String {
        match self {
            ScenarioSelection::All => "all".into(),
            ScenarioSelection::Ids(ids) => ids.join(","),
        }
    }
}

impl From<&str> for ScenarioSelection {
    fn from(text: &str) -> Self {
        ScenarioSelection::parse(text)
    }
}

/// One server of a matrix: an image run as a container, or a local server binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSpec {
    Image(String),
    Binary(PathBuf),
}

impl ServerSpec {
    pub fn target(&self) -> String {
        match self {
            ServerSpec::Image(i) => i.clone(),
            ServerSpec::Binary(b) => b.display().to_string(),
        }
    }

    /// `migration-harness/mariadb:10.5` → `mariadb-10.5`; a binary → its file name.
    pub fn label(&self) -> String {
        let raw = match self {
            ServerSpec::Image(i) => i.rsplit('/').next().unwrap_or(i).replace(':', "-"),
            ServerSpec::Binary(b) => b
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "server".into()),
        };
        raw.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    }
}

/// Where the run's server(s) come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Servers {
    One(ProvisionRequest),
    /// Several servers, each in a child run of its own (`src/matrix`).
    Matrix(Vec<ServerSpec>),
}

/// The environment variables a run reads, captured once (tests pass their own).
#[derive(Debug, Clone, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn process() -> Env {
        Env(std::env::vars().collect())
    }

    pub fn from_pairs(pairs: &[(&str, &str)]) -> Env {
        Env(pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }

    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    pub config: PathBuf,
    pub scenarios: ScenarioSelection,
    pub servers: Servers,
    /// `--db` as given: a matrix entry must agree with it.
    pub db_flag: Option<DbMode>,
    /// Where production stands (`--baseline`, `[baseline] revision`).
    pub baseline: Option<String>,
    /// `--since GIT_REF`: judge only revisions changed since.
    pub since: Option<String>,
    /// The previous release's git ref (`--since`, else `[compat] previous`): the code the
    /// compat check runs against the new schema.
    pub previous: Option<String>,
    pub formats: Vec<Format>,
    pub output_dir: Option<PathBuf>,
    /// `--report-url`: where the full report is published (the release notes link to it).
    pub report_url: Option<String>,
    pub jobs: usize,
    pub timeout: Duration,
    /// `--partition K/N`: this run's share of the per-revision work.
    pub partition: Option<Partition>,
    pub list_scenarios: bool,
    pub verbose: bool,
}

/// `--config`, else `./harness.toml`.
pub fn config_path(cli: &Cli) -> PathBuf {
    cli.config
        .clone()
        .unwrap_or_else(|| PathBuf::from("harness.toml"))
}

/// `--database-url`, else `$MH_DATABASE_URL`.
pub fn database_url(cli: &Cli, env: &Env) -> Option<String> {
    cli.database_url
        .clone()
        .or_else(|| env.get("MH_DATABASE_URL"))
}

/// Loads the config the command line names and resolves the run's settings against it.
pub fn load(cli: &Cli) -> Result<(Config, RunSettings)> {
    let cfg = Config::load(&config_path(cli))?;
    let settings = RunSettings::resolve(cli, &Env::process(), &cfg)?;
    Ok((cfg, settings))
}

impl RunSettings {
    /// Flag over environment over harness.toml over default, for every setting.
    pub fn resolve(cli: &Cli, env: &Env, cfg: &Config) -> Result<RunSettings> {
        let file = &cfg.raw;
        Ok(RunSettings {
            config: config_path(cli),
            scenarios: ScenarioSelection::parse(&cli.scenario),
            servers: servers(cli, env, cfg),
            db_flag: cli.db,
            baseline: cli.baseline.clone().or(file.baseline.revision.clone()),
            since: cli.since.clone(),
            previous: cli.since.clone().or(file.compat.previous.clone()),
            formats: Format::parse_list(&cli.format)?,
            output_dir: cli.output_dir.clone(),
            report_url: cli.report_url.clone(),
            jobs: cli.jobs.or(file.scenarios.jobs).unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2)
            }),
            timeout: Duration::from_secs(
                cli.timeout
                    .or(file.scenarios.timeout)
                    .unwrap_or(DEFAULT_TIMEOUT_S),
            ),
            partition: cli.partition,
            list_scenarios: cli.list_scenarios,
            verbose: cli.verbose,
        })
    }

    /// The command line of the child that runs `spec` for a matrix: these settings, that
    /// one server, its own output directory, and JSON always (the matrix reads it).
    pub fn to_args(&self, spec: &ServerSpec, dir: &Path) -> Vec<String> {
        let mut a = vec![
            "--config".to_string(),
            self.config.display().to_string(),
            "--scenario".into(),
            self.scenarios.to_arg(),
        ];
        match spec {
            ServerSpec::Image(i) => a.extend(["--db", "container", "--image", i].map(String::from)),
            ServerSpec::Binary(b) => {
                a.extend(["--db", "local", "--server-binary"].map(String::from));
                a.push(b.display().to_string());
            }
        }
        let mut formats = self.formats.clone();
        if !formats.contains(&Format::Json) {
            formats.push(Format::Json);
        }
        let formats: Vec<&str> = formats.iter().map(|f| f.name()).collect();
        a.extend(["--format".into(), formats.join(",")]);
        a.extend(["--output-dir".into(), dir.display().to_string()]);
        if let Some(b) = &self.baseline {
            a.extend(["--baseline".into(), b.clone()]);
        }
        if let Some(r) = &self.since {
            a.extend(["--since".into(), r.clone()]);
        }
        if let Some(u) = &self.report_url {
            a.extend(["--report-url".into(), u.clone()]);
        }
        a.extend(["--jobs".into(), self.jobs.to_string()]);
        a.extend(["--timeout".into(), self.timeout.as_secs().to_string()]);
        if let Some(p) = self.partition {
            a.extend(["--partition".into(), p.to_string()]);
        }
        if self.verbose {
            a.push("--verbose".into());
        }
        a
    }
}

/// A matrix when the command line lists several servers (or names none and the file has
/// `[server] matrix`); else the one server, flag over environment over file over default.
fn servers(cli: &Cli, env: &Env, cfg: &Config) -> Servers {
    let url = database_url(cli, env);
    if let Some(specs) = matrix(cli, url.is_some(), cfg) {
        return Servers::Matrix(specs);
    }
    let s = &cfg.raw.server;
    Servers::One(ProvisionRequest {
        mode: cli.db.or(s.db).unwrap_or(DbMode::Auto),
        image: cli
            .image
            .clone()
            .or_else(|| env.get("MH_IMAGE"))
            .or_else(|| s.image.clone())
            .unwrap_or_else(|| DEFAULT_IMAGE.to_string()),
        binary: cli
            .server_binary
            .first()
            .cloned()
            .or_else(|| s.binary.as_ref().map(|b| cfg.resolve(b))),
        database_url: url.or_else(|| s.database_url_env.as_ref().and_then(|v| env.get(v))),
        startup_timeout: Duration::from_secs(s.startup_timeout.unwrap_or(DEFAULT_STARTUP_S)),
        migrate_as: s.migrate_as.unwrap_or_default(),
    })
}

/// The servers of a matrix run, or None for a single-server run. The command line wins over
/// `[server] matrix`; one `--image` (without a comma) is a single-server run, which is also
/// what each child of a matrix gets.
fn matrix(cli: &Cli, url_given: bool, cfg: &Config) -> Option<Vec<ServerSpec>> {
    let images: Vec<String> = cli
        .image
        .as_deref()
        .map(|i| {
            i.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if images.len() > 1 {
        return Some(images.into_iter().map(ServerSpec::Image).collect());
    }
    if cli.server_binary.len() > 1 {
        return Some(
            cli.server_binary
                .iter()
                .cloned()
                .map(ServerSpec::Binary)
                .collect(),
        );
    }
    if cli.image.is_some() || !cli.server_binary.is_empty() || url_given {
        return None;
    }
    let m = &cfg.raw.server.matrix;
    (!m.is_empty()).then(|| {
        m.iter()
            .map(|e| match e {
                MatrixEntry::Image(i) => ServerSpec::Image(i.clone()),
                MatrixEntry::Binary { binary } => ServerSpec::Binary(cfg.resolve(binary)),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests;
