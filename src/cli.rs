//! Command-line types (clap derive) — no behaviour here: `settings` resolves them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::DbMode;

#[derive(Debug, Parser)]
#[command(
    name = "migration-harness",
    version,
    about = "Tests database schema migrations against a throwaway MySQL/MariaDB server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// harness.toml to use (default: ./harness.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,

    /// Scenarios to run: `all` or a comma-separated list of ids.
    #[arg(long, default_value = "all")]
    pub scenario: String,

    /// Where the server comes from.
    #[arg(long, value_enum, global = true)]
    pub db: Option<DbMode>,

    /// Container image for `--db container` (default mysql:8.0). A comma-separated list
    /// (`--image mariadb:10.5,mariadb:11.8`) runs the suite on each: a server matrix.
    #[arg(long, global = true)]
    pub image: Option<String>,

    /// Existing server for `--db url`, e.g. mysql://user:pass@host:3306/ (or MH_DATABASE_URL).
    #[arg(long, global = true)]
    pub database_url: Option<String>,

    /// Server binary for `--db local` (default: mariadbd or mysqld on PATH or in /usr/sbin).
    /// Repeated or comma-separated, each binary is one server of a matrix.
    #[arg(long, global = true, value_delimiter = ',')]
    pub server_binary: Vec<PathBuf>,

    /// Revision production is at before this change (default: head's parent).
    #[arg(long)]
    pub baseline: Option<String>,

    /// Judge only revisions whose files were added or changed since this git ref (default:
    /// the revisions after the baseline); older ones are reported as history.
    #[arg(long, value_name = "GIT_REF")]
    pub since: Option<String>,

    /// Report formats, comma-separated: md,html,json,junit (and pr-comment, sarif,
    /// release-notes, gitlab-codequality).
    #[arg(long, default_value = "md,html,json,junit")]
    pub format: String,

    /// Where the full report will be published (a release asset's URL): the release notes
    /// link to it (default: `report.html`).
    #[arg(long, value_name = "URL")]
    pub report_url: Option<String>,

    /// Report directory (default: reports/<UTC timestamp>-<head>/ plus reports/latest/).
    #[arg(long)]
    pub output_dir: Option<PathBuf>,

    /// Scenarios run at once, each on its own database (default: number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,

    /// Step timeout in seconds (overrides harness.toml).
    #[arg(long)]
    pub timeout: Option<u64>,

    /// Run partition K of N (`2/3`): the per-revision work (round trips, crash-resume,
    /// online DDL) of every N-th revision, and in partition 1 the whole-chain scenarios.
    /// `migration-harness merge` folds the partitions' reports into one.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<crate::partition::Partition>,

    /// List the scenarios with one line each and exit.
    #[arg(long)]
    pub list_scenarios: bool,

    /// Stream tool output and debug logs.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report what this machine offers: Docker engine, server binaries, Python and tools.
    Doctor,
    /// Create the Python venv the config names (so later runs need no network).
    Prepare,
    /// Detect the project in DIR (default: here) and write a commented starter harness.toml.
    Init {
        #[arg(default_value = ".")]
        dir: std::path::PathBuf,
        /// Overwrite an existing harness.toml.
        #[arg(long)]
        force: bool,
    },
    /// Fold the report.json of partitions (`--partition`) and of matrix children into one
    /// report in every format asked for; the exit code is the merged verdict's.
    Merge {
        /// Directories holding a report.json each.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Report formats, comma-separated (as for a run).
        #[arg(long, default_value = "md,html,json,junit")]
        format: String,
        /// Where the merged report goes (default: reports/<UTC timestamp>-merged/).
        #[arg(long)]
        output_dir: Option<PathBuf>,
        /// Where the full report will be published (the release notes link to it).
        #[arg(long, value_name = "URL")]
        report_url: Option<String>,
    },
    /// Remove leftovers of crashed runs: labelled containers, stale temp dirs, old mh_ databases.
    Clean {
        /// In URL mode, drop `mh_` databases older than this many minutes.
        #[arg(long, default_value_t = 60)]
        older_than_minutes: u64,
    },
}
