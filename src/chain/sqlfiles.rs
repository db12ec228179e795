//! Reads a SQL migration directory into the chain, in version order: the format (one of
//! `formats::FORMATS`) says what each file is and what it holds; this file pairs them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::formats::{Part, SqlFormat, SqlMigration};
use super::{Chain, DowngradeKind, Revision};

impl SqlMigration {
    /// The file holding `part` (for `Both`, the up file).
    fn file(&self, part: Part) -> Option<&PathBuf> {
        match part {
            Part::Down => self.down_file.as_ref(),
            Part::Up | Part::Both => self.up_file.as_ref(),
        }
    }

    /// Takes what `file` holds for `part`.
    fn take(&mut self, format: &dyn SqlFormat, part: Part, file: &Path, text: &str) {
        let sections = format.sections(part, text);
        if let Some(up) = sections.up {
            (self.up, self.up_tx) = (Some(up.sql), up.tx);
        }
        if let Some(down) = sections.down {
            (self.down, self.down_tx) = (Some(down.sql), down.tx);
        }
        if part != Part::Down {
            self.up_file = Some(file.to_path_buf());
        }
        if part != Part::Up {
            self.down_file = Some(file.to_path_buf());
        }
    }
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
pub fn parse_sql_dir(
    dir: &Path,
    format: &dyn SqlFormat,
) -> std::io::Result<(Chain, Vec<SqlMigration>)> {
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
        let Some(role) = format.file_role(&name) else {
            orphans.push(f);
            continue;
        };
        let key: u128 = role.version.parse().unwrap_or(0);
        let m = by_version
            .entry(key)
            .or_insert_with(|| SqlMigration::new(&role.version, &role.name));
        if let Some(first) = m.file(role.part) {
            return Err(duplicate(key, first, &f, role.part));
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f)?).into_owned();
        m.take(format, role.part, &f, &text);
    }
    Ok(linear_chain(by_version.into_values(), orphans))
}

fn duplicate(key: u128, first: &Path, second: &Path, part: Part) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "duplicate version {key}: {} and {} both define its {} migration",
            first.display(),
            second.display(),
            if part == Part::Down { "down" } else { "up" }
        ),
    )
}

/// The migrations in version order as a linear chain; one without an up part cannot be
/// applied at all and is an orphan.
fn linear_chain(
    migrations: impl Iterator<Item = SqlMigration>,
    orphans: Vec<PathBuf>,
) -> (Chain, Vec<SqlMigration>) {
    let mut chain = Chain {
        orphans,
        ..Default::default()
    };
    let mut kept = Vec::new();
    let mut prev: Option<String> = None;
    for m in migrations {
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
            chain.orphans.extend(m.down_file.clone());
            continue;
        };
        if is_blank_sql(up) {
            chain.empty_upgrades.push(m.version.clone());
        }
        prev = Some(m.version.clone());
        chain.revisions.push(r);
        kept.push(m);
    }
    (chain, kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::formats::{by_name, Transaction};

    fn format(name: &str) -> &'static dyn SqlFormat {
        by_name(name).unwrap()
    }

    #[test]
    fn golang_migrate_pairs_and_orphans() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("1_init.up.sql"), "CREATE TABLE a (id int);").unwrap();
        std::fs::write(d.path().join("1_init.down.sql"), "DROP TABLE a;").unwrap();
        std::fs::write(d.path().join("2_more.up.sql"), "CREATE TABLE b (id int);").unwrap();
        std::fs::write(d.path().join("3_gone.down.sql"), "DROP TABLE c;").unwrap();
        std::fs::write(d.path().join("notes.txt"), "x").unwrap();
        let (chain, migs) = parse_sql_dir(d.path(), format("golang-migrate")).unwrap();
        assert_eq!(migs.len(), 2);
        assert_eq!(chain.revisions[1].parents, ["1"]);
        assert_eq!(chain.revisions[1].downgrade, DowngradeKind::Missing);
        let report = chain.verify();
        assert!(report.findings.iter().any(|f| f.kind
            == crate::chain::FindingKind::MissingDown {
                irreversible: false
            }));
        assert_eq!(chain.orphans.len(), 2, "{:?}", chain.orphans);
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("001_a.up.sql"), "CREATE TABLE a (id int);").unwrap();
        std::fs::write(d.path().join("1_b.up.sql"), "CREATE TABLE b (id int);").unwrap();
        let e = parse_sql_dir(d.path(), format("golang-migrate"))
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
        let (chain, migs) = parse_sql_dir(d.path(), format("golang-migrate")).unwrap();
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
        let (_, migs) = parse_sql_dir(d.path(), format("dbmate")).unwrap();
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
        let (_, migs) = parse_sql_dir(d.path(), format("sqlx")).unwrap();
        assert_eq!(migs[0].up_tx, Transaction::Off);
    }

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(d.path().join(name), text).unwrap();
        }
        d
    }

    #[test]
    fn versions_are_ordered_as_numbers_not_as_names() {
        let d = dir_with(&[
            ("10_b.up.sql", "SELECT 10;"),
            ("100_c.up.sql", "SELECT 100;"),
            ("9_a.up.sql", "SELECT 9;"),
        ]);
        let (chain, migs) = parse_sql_dir(d.path(), format("golang-migrate")).unwrap();
        let ids: Vec<&str> = chain.revisions.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["9", "10", "100"]);
        assert_eq!(chain.revisions[2].parents, ["10"]);
        assert_eq!(migs[1].name, "b");
    }

    #[test]
    fn each_format_pairs_up_and_down_its_own_way() {
        let pair = [
            ("1_a.up.sql", "CREATE TABLE a (id int);"),
            ("1_a.down.sql", "DROP TABLE a;"),
        ];
        for name in ["golang-migrate", "sqlx"] {
            let d = dir_with(&pair);
            let (chain, migs) = parse_sql_dir(d.path(), format(name)).unwrap();
            assert_eq!(migs[0].down.as_deref(), Some("DROP TABLE a;"), "{name}");
            assert_ne!(migs[0].up_file, migs[0].down_file, "{name}");
            assert_eq!(chain.revisions[0].downgrade, DowngradeKind::Present);
        }
        // The same pair is no dbmate or goose migration at all: dbmate ignores the names,
        // goose reads them as files without a `-- +goose Up` section.
        let d = dir_with(&pair);
        let (chain, _) = parse_sql_dir(d.path(), format("dbmate")).unwrap();
        assert!(chain.revisions.is_empty());
        assert_eq!(chain.orphans.len(), 2);

        let d = dir_with(&[(
            "1_a.sql",
            "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
        )]);
        let (_, migs) = parse_sql_dir(d.path(), format("dbmate")).unwrap();
        assert_eq!(migs[0].up_file, migs[0].down_file, "one file holds both");
        assert_eq!(
            migs[0].down.as_deref().map(str::trim),
            Some("DROP TABLE a;")
        );

        let d = dir_with(&[
            ("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n"),
            (
                "00002_b.sql",
                "-- +goose Up\nCREATE TABLE b (id int);\n-- +goose Down\nDROP TABLE b;\n",
            ),
            ("00003_c.sql", "CREATE TABLE c (id int);\n"),
        ]);
        let (chain, migs) = parse_sql_dir(d.path(), format("goose")).unwrap();
        assert_eq!(migs.len(), 2);
        assert_eq!(chain.revisions[0].downgrade, DowngradeKind::Empty);
        assert_eq!(chain.revisions[1].downgrade, DowngradeKind::Present);
        assert_eq!(chain.orphans.len(), 1, "no `-- +goose Up`: not applicable");
    }

    #[test]
    fn an_irreversible_sqlx_file_has_no_down() {
        let d = dir_with(&[("1_a.sql", "CREATE TABLE a (id int);")]);
        let (chain, migs) = parse_sql_dir(d.path(), format("sqlx")).unwrap();
        assert_eq!(migs[0].down, None);
        assert_eq!(chain.revisions[0].downgrade, DowngradeKind::Missing);
        let d = dir_with(&[("1_a.sql", "x"), ("1_b.up.sql", "y")]);
        let e = parse_sql_dir(d.path(), format("sqlx")).unwrap_err();
        assert!(e.to_string().contains("duplicate version 1"), "{e}");
    }
}
