//! `ProjectError`: what `harness.toml` points at that is not there or does not answer (a
//! migrations directory, alembic.ini, manage.py, the `list` command) — each with the file,
//! what was found and the setting that fixes it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("migrations directory {} does not exist (set [migrations] dir)", dir.display())]
    NoMigrationsDir { dir: PathBuf },
    #[error("{} does not exist (set [migrations] alembic_ini)", ini.display())]
    NoAlembicIni { ini: PathBuf },
    #[error("cannot read {} ({source}); set [migrations] manage to the project's manage.py", manage.display())]
    ManageUnreadable {
        manage: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} sets no DJANGO_SETTINGS_MODULE; set [migrations] settings (e.g. \"mysite.settings\")", manage.display())]
    NoDjangoSettings { manage: PathBuf },
    /// Django's loader raised; `reason` is its last line, redacted.
    #[error("Django could not load the migrations: {reason}")]
    DjangoLoad { reason: String },
    #[error("tool = \"command\" needs `list` (a command printing the revisions in order), `revisions = [...]` or `format` + `dir` to know the chain")]
    NoRevisionSource,
    #[error(
        "`list` runs before any database exists, so it cannot use {placeholder}: `{template}`"
    )]
    ListNeedsDatabase {
        placeholder: &'static str,
        template: String,
    },
    /// The `list` command did not succeed (`outcome` as the driver reports it).
    #[error("the `list` command `{command}` failed ({outcome}):\n{log}")]
    ListFailed {
        command: String,
        outcome: String,
        log: String,
    },
    #[error("the `list` command `{command}` printed no revision (expected one a line, optionally marked `[X]`/`[ ]`):\n{stdout}")]
    ListEmpty { command: String, stdout: String },
    /// A SQL migration file the format cannot read (the parser names file and problem).
    #[error("{0}")]
    BadMigrationFile(#[source] std::io::Error),
}

impl ProjectError {
    /// The tool failed (the machine's problem), rather than the configuration being wrong.
    pub fn is_environment(&self) -> bool {
        matches!(self, ProjectError::ListFailed { .. })
    }
}

/// Why `init` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} exists already (pass --force to overwrite it)", config.display())]
    Exists { config: PathBuf },
    #[error("no migrations found in {}: expected alembic.ini, a Flask-Migrate migrations/env.py, \
             a Django manage.py, `*.up.sql` files (golang-migrate, sqlx) or `-- migrate:up` files (dbmate)", dir.display())]
    NothingFound { dir: PathBuf },
}
