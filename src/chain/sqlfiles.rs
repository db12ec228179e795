//! Reads SQL migration directories: golang-migrate / sqlx (`<version>_<name>.up.sql` and
//! `.down.sql`) and dbmate (`<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Chain, DowngradeKind, Revision};
use crate::config::SqlFormat;

/// Whether the tool wraps a migration section in a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transaction {
    /// dbmate and sqlx by default (MySQL still commits implicitly at each DDL statement).
    #[default]
    Wrapped,
    /// golang-migrate always; dbmate `-- migrate:up transaction:false`; sqlx `-- no-transaction`.
    Off,
}

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

fn split_version(stem: &str) -> Option<(String, String)> {
    let (v, name) = stem.split_once('_').unwrap_or((stem, ""));
    (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
        .then(|| (v.to_string(), name.replace('_', " ")))
}

/// `-- migrate:up transaction:false` turns dbmate's wrapping transaction off for a section
/// (dbmate `pkg/dbmate/migration.go`, `parseMigrationOptions`).
fn dbmate_tx(marker_line: &str) -> Transaction {
    if marker_line
        .split_whitespace()
        .any(|w| w == "transaction:false")
    {
        Transaction::Off
    } else {
        Transaction::Wrapped
    }
}

/// dbmate's per-section transaction options: (up, down).
pub fn dbmate_options(src: &str) -> (Transaction, Transaction) {
    let find = |marker: &str| {
        src.lines()
            .map(str::trim)
            .find(|l| l.starts_with(marker))
            .map(dbmate_tx)
            .unwrap_or_default()
    };
    (find("-- migrate:up"), find("-- migrate:down"))
}

/// sqlx skips its transaction when a file starts with `-- no-transaction`
/// (sqlx-core `migrate/source.rs`, `resolve_blocking`).
fn sqlx_tx(sql: &str) -> Transaction {
    if sql.trim_start().starts_with("-- no-transaction") {
        Transaction::Off
    } else {
        Transaction::Wrapped
    }
}

/// Splits a dbmate file into its up and down sections.
pub fn dbmate_sections(src: &str) -> (Option<String>, Option<String>) {
    let mut up: Option<String> = None;
    let mut down: Option<String> = None;
    let mut current: Option<&mut Option<String>> = None;
    for line in src.lines() {
        let t = line.trim();
        if t.starts_with("-- migrate:up") {
            current = Some(&mut up);
            if let Some(c) = current.as_mut() {
                **c = Some(String::new());
            }
            continue;
        }
        if t.starts_with("-- migrate:down") {
            current = Some(&mut down);
            if let Some(c) = current.as_mut() {
                **c = Some(String::new());
            }
            continue;
        }
        if let Some(Some(buf)) = current.as_mut().map(|c| c.as_mut()) {
            buf.push_str(line);
            buf.push('\n');
        }
    }
    (up, down)
}

fn is_blank_sql(sql: &str) -> bool {
    sql.lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with("--") || l.starts_with('#'))
}

/// Reads the directory in version order. Returns the chain (linear) and the migrations.
/// Two files for the same version and direction (`001_a.up.sql`, `1_b.up.sql`) are an
/// `InvalidData` error naming both: golang-migrate refuses them too ("duplicate migration
/// file", `source/migration.go` `Migrations.Append`), and merging them would test neither.
pub fn parse_sql_dir(dir: &Path, format: SqlFormat) -> std::io::Result<(Chain, Vec<SqlMigration>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut by_version: BTreeMap<u128, SqlMigration> = BTreeMap::new();
    let mut orphans = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = || std::fs::read(&f).map(|b| String::from_utf8_lossy(&b).into_owned());
        let (stem, kind) = if let Some(s) = name.strip_suffix(".up.sql") {
            (s, "up")
        } else if let Some(s) = name.strip_suffix(".down.sql") {
            (s, "down")
        } else if let Some(s) = name.strip_suffix(".sql") {
            (s, "single")
        } else {
            orphans.push(f.clone());
            continue;
        };
        let Some((version, title)) = split_version(stem) else {
            orphans.push(f.clone());
            continue;
        };
        let key: u128 = version.parse().unwrap_or(0);
        let m = by_version.entry(key).or_insert_with(|| SqlMigration {
            version: version.clone(),
            name: title.clone(),
            up: None,
            down: None,
            up_file: None,
            down_file: None,
            up_tx: Transaction::Wrapped,
            down_tx: Transaction::Wrapped,
        });
        let taken = match (kind, format) {
            ("down", _) => m.down_file.as_ref(),
            _ => m.up_file.as_ref(),
        };
        if let Some(first) =
            taken.filter(|_| kind != "single" || format != SqlFormat::GolangMigrate)
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "duplicate version {key}: {} and {} both define its {} migration",
                    first.display(),
                    f.display(),
                    if kind == "down" { "down" } else { "up" }
                ),
            ));
        }
        match (kind, format) {
            ("up", SqlFormat::GolangMigrate | SqlFormat::Sqlx) => {
                let sql = text()?;
                m.up_tx = match format {
                    SqlFormat::Sqlx => sqlx_tx(&sql),
                    _ => Transaction::Off,
                };
                m.up = Some(sql);
                m.up_file = Some(f.clone());
            }
            ("down", SqlFormat::GolangMigrate | SqlFormat::Sqlx) => {
                let sql = text()?;
                m.down_tx = match format {
                    SqlFormat::Sqlx => sqlx_tx(&sql),
                    _ => Transaction::Off,
                };
                m.down = Some(sql);
                m.down_file = Some(f.clone());
            }
            ("single", SqlFormat::Dbmate) => {
                let src = text()?;
                let (up, down) = dbmate_sections(&src);
                (m.up_tx, m.down_tx) = dbmate_options(&src);
                m.up = up;
                m.down = down;
                m.up_file = Some(f.clone());
                m.down_file = Some(f.clone());
            }
            // sqlx also allows irreversible `<version>_<name>.sql`.
            ("single", SqlFormat::Sqlx) => {
                let sql = text()?;
                m.up_tx = sqlx_tx(&sql);
                m.up = Some(sql);
                m.up_file = Some(f.clone());
            }
            _ => orphans.push(f.clone()),
        }
    }
    let mut chain = Chain {
        orphans,
        ..Default::default()
    };
    let mut migrations = Vec::new();
    let mut prev: Option<String> = None;
    for (_, m) in by_version {
        let downgrade = match &m.down {
            None => DowngradeKind::Missing,
            Some(d) if is_blank_sql(d) => DowngradeKind::Empty,
            Some(_) => DowngradeKind::Present,
        };
        let mut r = Revision::new(&m.version, &[], &m.name);
        r.parents = prev.iter().cloned().collect();
        r.file = m.up_file.clone().or(m.down_file.clone());
        r.line = Some(1);
        r.downgrade = downgrade;
        let Some(up) = &m.up else {
            // A down file without its up: the revision cannot be applied at all.
            chain.orphans.extend(m.down_file.clone());
            continue;
        };
        if is_blank_sql(up) {
            chain.empty_upgrades.push(m.version.clone());
        }
        prev = Some(m.version.clone());
        chain.revisions.push(r);
        migrations.push(m);
    }
    Ok((chain, migrations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbmate_sections_split() {
        let (up, down) = dbmate_sections(
            "-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        assert_eq!(up.unwrap().trim(), "CREATE TABLE t (id int);");
        assert_eq!(down.unwrap().trim(), "DROP TABLE t;");
    }

    #[test]
    fn golang_migrate_pairs_and_orphans() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("1_init.up.sql"), "CREATE TABLE a (id int);").unwrap();
        std::fs::write(d.path().join("1_init.down.sql"), "DROP TABLE a;").unwrap();
        std::fs::write(d.path().join("2_more.up.sql"), "CREATE TABLE b (id int);").unwrap();
        std::fs::write(d.path().join("3_gone.down.sql"), "DROP TABLE c;").unwrap();
        std::fs::write(d.path().join("notes.txt"), "x").unwrap();
        let (chain, migs) = parse_sql_dir(d.path(), SqlFormat::GolangMigrate).unwrap();
        assert_eq!(migs.len(), 2);
        assert_eq!(chain.revisions[1].parents, ["1"]);
        assert_eq!(chain.revisions[1].downgrade, DowngradeKind::Missing);
        let report = chain.verify();
        assert!(report
            .findings
            .iter()
            .any(|f| f.kind == crate::chain::FindingKind::MissingDown));
        assert_eq!(chain.orphans.len(), 2, "{:?}", chain.orphans);
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("001_a.up.sql"), "CREATE TABLE a (id int);").unwrap();
        std::fs::write(d.path().join("1_b.up.sql"), "CREATE TABLE b (id int);").unwrap();
        let e = parse_sql_dir(d.path(), SqlFormat::GolangMigrate)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("001_a.up.sql") && e.contains("1_b.up.sql"),
            "{e}"
        );
        assert!(e.contains("duplicate version 1"), "{e}");
    }

    #[test]
    fn empty_up_is_a_finding_and_transactions_follow_the_tool() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("1_a.up.sql"), "").unwrap();
        std::fs::write(d.path().join("1_a.down.sql"), "SELECT 1;").unwrap();
        let (chain, migs) = parse_sql_dir(d.path(), SqlFormat::GolangMigrate).unwrap();
        assert_eq!(chain.empty_upgrades, ["1"]);
        assert_eq!(migs[0].up_tx, Transaction::Off);
        let report = chain.verify();
        assert!(report
            .findings
            .iter()
            .any(|f| f.kind == crate::chain::FindingKind::EmptyUpgrade
                && f.revision.as_deref() == Some("1")));

        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("1_a.sql"),
            "-- migrate:up transaction:false\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
        )
        .unwrap();
        let (_, migs) = parse_sql_dir(d.path(), SqlFormat::Dbmate).unwrap();
        assert_eq!(
            (migs[0].up_tx, migs[0].down_tx),
            (Transaction::Off, Transaction::Wrapped)
        );
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("1_a.sql"),
            "-- no-transaction\nCREATE TABLE a (id int);",
        )
        .unwrap();
        let (_, migs) = parse_sql_dir(d.path(), SqlFormat::Sqlx).unwrap();
        assert_eq!(migs[0].up_tx, Transaction::Off);
    }
}
