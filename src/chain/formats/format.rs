//! The `SqlFormat` trait and what formats and the driver share: a file's role, its
//! sections, the version table's rows and bookkeeping statements, the migration as read.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use mysql_async::Value;

use crate::chain::VersionStyle;

/// One migration of a SQL directory, with its SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlMigration {
    pub version: String,
    pub name: String,
    pub up: Option<String>,
    pub down: Option<String>,
    pub up_file: Option<PathBuf>,
    pub down_file: Option<PathBuf>,
    pub up_tx: Transaction,
    pub down_tx: Transaction,
}

impl SqlMigration {
    /// A migration with no file read yet.
    pub fn new(version: &str, name: &str) -> Self {
        SqlMigration {
            version: version.to_string(),
            name: name.to_string(),
            up: None,
            down: None,
            up_file: None,
            down_file: None,
            up_tx: Transaction::Wrapped,
            down_tx: Transaction::Wrapped,
        }
    }
}

/// One tool's SQL-directory conventions. Everything here is pure: what a file is, what it
/// holds, and which statements keep the version table — the driver does the talking.
pub trait SqlFormat: Debug + Send + Sync {
    /// Its name in harness.toml (`format = "…"`), in logs and in the command line shown.
    fn name(&self) -> &'static str;

    /// What the file called `file_name` is to this tool; `None` for a file it ignores (an
    /// orphan of the chain).
    fn file_role(&self, file_name: &str) -> Option<FileRole>;

    /// The SQL a file in `part` holds, section by section, with the tool's transaction mode.
    fn sections(&self, part: Part, text: &str) -> Sections;

    /// The table the tool keeps its version in.
    fn version_table(&self) -> &'static str;

    /// Statements creating the version table when it is missing (idempotent: they run at the
    /// start of every session).
    fn create_table(&self) -> &'static [&'static str];

    /// A version table that only holds a row per applied migration (inserted on up and by a
    /// stamp, deleted on down): declared here, it gives `style`, `mark_done` and `stamp`
    /// their defaults. `None` for a format keeping more (a dirty flag, checksums), which
    /// then writes those three itself.
    fn rows(&self) -> Option<RowPerMigration> {
        None
    }

    /// One row for the current version, or a row per applied migration.
    fn style(&self) -> VersionStyle {
        match self.rows() {
            Some(_) => VersionStyle::PerRevision,
            None => VersionStyle::Single,
        }
    }

    /// A query whose rows are `(version, 1 when cleanly applied else 0, checksum or NULL)`.
    fn applied_query(&self) -> &'static str;

    /// Why the tool itself would refuse to move a database with these rows (a dirty flag, a
    /// changed checksum), in the tool's own words.
    fn refusal(&self, _applied: &[Applied], _migrations: &[SqlMigration]) -> Option<String> {
        None
    }

    /// Version-table statements before a migration runs (`now` is the version the database
    /// will be at once it is done, `None` for base).
    fn mark_start(
        &self,
        _m: &SqlMigration,
        _dir: Direction,
        _now: Option<&str>,
    ) -> Vec<Bookkeeping> {
        vec![]
    }

    /// Version-table statements after a migration succeeded (`ms` its duration).
    fn mark_done(
        &self,
        m: &SqlMigration,
        dir: Direction,
        _now: Option<&str>,
        _ms: u64,
    ) -> Vec<Bookkeeping> {
        self.rows().map(|r| r.mark(m, dir)).into_iter().collect()
    }

    /// Rows that say `applied` (base first) are applied, written after the table was emptied.
    fn stamp(&self, applied: &[SqlMigration]) -> Vec<Bookkeeping> {
        self.rows().map(|r| r.stamp(applied)).unwrap_or_default()
    }

    /// Whether the tool sends a file with no statement to the server anyway.
    fn sends_empty_files(&self) -> bool {
        false
    }

    /// The tool's own commands, for the report's advice.
    fn commands(&self) -> Commands;

    /// `init`: why `dir` looks like this format's directory, or `None`.
    fn detect(&self, dir: &DirSample) -> Option<&'static str>;
}

/// A version table of one row per applied migration (dbmate, goose): the statements that
/// insert and delete a migration's row, each with the version as its one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowPerMigration {
    pub insert: &'static str,
    pub delete: &'static str,
    /// How the table stores the version.
    pub key: VersionKey,
    /// A statement a stamp runs before the rows (goose's version 0), if any.
    pub stamp_first: Option<&'static str>,
}

/// How a version table stores a migration's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionKey {
    /// As the file name spells it (`000002`).
    Spelled,
    /// As a number (`2`).
    Number,
}

impl RowPerMigration {
    fn key(&self, m: &SqlMigration) -> Value {
        match self.key {
            VersionKey::Spelled => m.version.clone().into(),
            VersionKey::Number => version_number(&m.version).into(),
        }
    }

    /// The row inserted when `m` went up, deleted when it went down.
    pub fn mark(&self, m: &SqlMigration, dir: Direction) -> Bookkeeping {
        let sql = match dir {
            Direction::Up => self.insert,
            Direction::Down => self.delete,
        };
        Bookkeeping::new(sql, vec![self.key(m)])
    }

    /// A row for each of `applied`.
    pub fn stamp(&self, applied: &[SqlMigration]) -> Vec<Bookkeeping> {
        self.stamp_first
            .map(|sql| Bookkeeping::new(sql, vec![]))
            .into_iter()
            .chain(applied.iter().map(|m| self.mark(m, Direction::Up)))
            .collect()
    }
}

/// The up and down sections of a file holding both (dbmate, goose): the lines after the
/// line `marker` says opens the up or the down section, each up to the next marker. Lines
/// before the first marker belong to neither.
pub fn split_marked(
    text: &str,
    marker: impl Fn(&str) -> Option<Direction>,
) -> (Option<String>, Option<String>) {
    let mut up: Option<String> = None;
    let mut down: Option<String> = None;
    let mut current = None;
    for line in text.lines() {
        if let Some(dir) = marker(line) {
            match dir {
                Direction::Up => up = Some(String::new()),
                Direction::Down => down = Some(String::new()),
            }
            current = Some(dir);
            continue;
        }
        let buf = match current {
            Some(Direction::Up) => up.as_mut(),
            Some(Direction::Down) => down.as_mut(),
            None => None,
        };
        if let Some(buf) = buf {
            buf.push_str(line);
            buf.push('\n');
        }
    }
    (up, down)
}

/// The part of a migration a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Up,
    Down,
    /// Up and down in one file (dbmate, goose).
    Both,
}

/// A file of the directory: the migration it belongs to and the part it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRole {
    /// As spelled in the file name (`000001`); ordered as a number.
    pub version: String,
    /// The rest of the name, underscores as spaces.
    pub name: String,
    pub part: Part,
}

/// Whether the tool wraps a migration section in a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transaction {
    /// dbmate, sqlx and goose by default (MySQL still commits implicitly at each DDL statement).
    #[default]
    Wrapped,
    /// golang-migrate always; dbmate `-- migrate:up transaction:false`; sqlx `-- no-transaction`;
    /// goose `-- +goose NO TRANSACTION`.
    Off,
}

/// One direction's SQL and how it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub sql: String,
    pub tx: Transaction,
}

impl Section {
    pub fn new(sql: impl Into<String>, tx: Transaction) -> Self {
        Section {
            sql: sql.into(),
            tx,
        }
    }
}

/// What a file holds: an up section, a down section, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sections {
    pub up: Option<Section>,
    pub down: Option<Section>,
}

/// Which way a migration runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// One row of the version table, as `applied_query` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// As the table stores it (golang-migrate and sqlx store the number: `2`, not `000002`).
    pub version: String,
    pub clean: bool,
    pub checksum: Option<Vec<u8>>,
}

/// One version-table statement with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Bookkeeping {
    pub sql: &'static str,
    pub params: Vec<Value>,
}

impl Bookkeeping {
    pub fn new(sql: &'static str, params: Vec<Value>) -> Self {
        Bookkeeping { sql, params }
    }
}

/// The tool's commands shown in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commands {
    pub upgrade: &'static str,
    pub current: &'static str,
    pub downgrade_to: &'static str,
}

/// A directory `init` looks at: its files and the project around it.
#[derive(Debug, Clone)]
pub struct DirSample<'a> {
    pub project: &'a Path,
    pub files: &'a [PathBuf],
}

impl DirSample<'_> {
    /// Some file's name ends with `suffix`.
    pub fn any_name_ends_with(&self, suffix: &str) -> bool {
        self.files.iter().any(|f| {
            f.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(suffix))
        })
    }

    /// Some file's text contains `needle`.
    pub fn any_text_contains(&self, needle: &str) -> bool {
        self.files.iter().any(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .contains(needle)
        })
    }

    /// Some file's text has a line that, trimmed and lower-cased, starts with `marker`.
    pub fn any_line_starts_with(&self, marker: &str) -> bool {
        self.files.iter().any(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            text.lines()
                .any(|l| l.trim().to_ascii_lowercase().starts_with(marker))
        })
    }

    /// The project's `Cargo.toml` mentions `word`.
    pub fn cargo_mentions(&self, word: &str) -> bool {
        std::fs::read_to_string(self.project.join("Cargo.toml"))
            .unwrap_or_default()
            .contains(word)
    }
}

/// `<digits>_<name>` into `(version, name with spaces)`; `None` unless it starts with digits.
pub fn split_version(stem: &str) -> Option<(String, String)> {
    let (v, name) = stem.split_once('_').unwrap_or((stem, ""));
    (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
        .then(|| (v.to_string(), name.replace('_', " ")))
}

/// `<version>_<name><suffix>` as a file of `part`.
pub fn role_by_suffix(file_name: &str, suffix: &str, part: Part) -> Option<FileRole> {
    let (version, name) = split_version(file_name.strip_suffix(suffix)?)?;
    Some(FileRole {
        version,
        name,
        part,
    })
}

/// The version as a number, for tools that store it as one.
pub fn version_number(version: &str) -> i64 {
    version.parse::<i64>().unwrap_or(0)
}

/// The raw version as the chain spells it (`2` → `000002`), or as it is when no file has it.
pub fn spelled(raw: &str, order: &[String]) -> String {
    order
        .iter()
        .find(|o| o.parse::<u128>().ok() == raw.parse::<u128>().ok())
        .cloned()
        .unwrap_or_else(|| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_need_leading_digits_and_names_get_spaces() {
        assert_eq!(
            split_version("000001_create_accounts"),
            Some(("000001".into(), "create accounts".into()))
        );
        assert_eq!(split_version("7"), Some(("7".into(), String::new())));
        assert_eq!(split_version("v1_x"), None);
        assert_eq!(split_version("_x"), None);
    }

    #[test]
    fn stored_numbers_are_spelled_as_the_files_spell_them() {
        let order = vec!["000001".to_string(), "000002".to_string()];
        assert_eq!(spelled("2", &order), "000002");
        assert_eq!(spelled("9", &order), "9");
        assert_eq!(spelled("-1", &order), "-1");
    }
}
