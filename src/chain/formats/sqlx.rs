//! sqlx: golang-migrate's `<version>_<name>.up.sql` / `.down.sql` names (or an irreversible
//! `<version>_<name>.sql`), each file in a transaction unless it starts with
//! `-- no-transaction`; a `_sqlx_migrations` row per migration with the SHA-384 of its up
//! file, checked on every run (`sqlx-core/src/migrate/migrator.rs`).

use super::format::SqlMigration;
use super::format::{
    role_by_suffix, version_number, Applied, Bookkeeping, Commands, DirSample, Direction, FileRole,
    Part, Section, Sections, SqlFormat, Transaction,
};
use crate::chain::VersionStyle;

#[derive(Debug)]
pub struct Sqlx;

impl SqlFormat for Sqlx {
    fn name(&self) -> &'static str {
        "sqlx"
    }

    fn file_role(&self, file_name: &str) -> Option<FileRole> {
        role_by_suffix(file_name, ".up.sql", Part::Up)
            .or_else(|| role_by_suffix(file_name, ".down.sql", Part::Down))
            .or_else(|| {
                let single = !file_name.ends_with(".up.sql") && !file_name.ends_with(".down.sql");
                single
                    .then(|| role_by_suffix(file_name, ".sql", Part::Up))
                    .flatten()
            })
    }

    fn sections(&self, part: Part, text: &str) -> Sections {
        let s = Some(Section::new(text, transaction(text)));
        match part {
            Part::Down => Sections { up: None, down: s },
            _ => Sections { up: s, down: None },
        }
    }

    fn version_table(&self) -> &'static str {
        "_sqlx_migrations"
    }

    fn create_table(&self) -> &'static [&'static str] {
        &["CREATE TABLE IF NOT EXISTS `_sqlx_migrations` (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)"]
    }

    /// A row per migration, with a success flag and a checksum beside it (so not `rows`).
    fn style(&self) -> VersionStyle {
        VersionStyle::PerRevision
    }

    fn applied_query(&self) -> &'static str {
        "SELECT version, success, checksum FROM `_sqlx_migrations` ORDER BY version"
    }

    /// `Migrator::run`/`undo` → `MigrateError::Dirty`, `VersionMissing`, `VersionMismatch`.
    fn refusal(&self, applied: &[Applied], migrations: &[SqlMigration]) -> Option<String> {
        applied.iter().find_map(|a| {
            let v = &a.version;
            if !a.clean {
                return Some(format!("migration {v} is partially applied; fix and remove row from `_sqlx_migrations` table"));
            }
            let n = version_number(v);
            match migrations.iter().find(|m| m.version.parse::<i64>().ok() == Some(n)) {
                None => Some(format!(
                    "migration {v} was previously applied but is missing in the resolved migrations"
                )),
                Some(m) if a.checksum.as_deref() != Some(&checksum(m)[..]) => Some(format!(
                    "migration {v} was previously applied but has been modified"
                )),
                Some(_) => None,
            }
        })
    }

    /// `success = FALSE` first, inside the transaction (`sqlx-mysql/src/migrate.rs`
    /// `apply`): MySQL's implicit commit at the first DDL statement leaves a "partially
    /// applied" row behind when a later one fails.
    fn mark_start(&self, m: &SqlMigration, dir: Direction, _now: Option<&str>) -> Vec<Bookkeeping> {
        match dir {
            Direction::Up => vec![Bookkeeping::new(
                "INSERT INTO `_sqlx_migrations` (version, description, success, checksum, execution_time) VALUES (?, ?, 0, ?, -1)",
                vec![version_number(&m.version).into(), m.name.clone().into(), checksum(m).into()],
            )],
            Direction::Down => vec![],
        }
    }

    fn mark_done(
        &self,
        m: &SqlMigration,
        dir: Direction,
        _now: Option<&str>,
        ms: u64,
    ) -> Vec<Bookkeeping> {
        let v = version_number(&m.version);
        vec![match dir {
            Direction::Up => Bookkeeping::new(
                "UPDATE `_sqlx_migrations` SET success = 1, execution_time = ? WHERE version = ?",
                vec![(ms as i64).into(), v.into()],
            ),
            Direction::Down => Bookkeeping::new(
                "DELETE FROM `_sqlx_migrations` WHERE version = ?",
                vec![v.into()],
            ),
        }]
    }

    fn stamp(&self, applied: &[SqlMigration]) -> Vec<Bookkeeping> {
        applied
            .iter()
            .map(|m| {
                Bookkeeping::new(
                    "INSERT INTO `_sqlx_migrations` (version, description, success, checksum, execution_time) VALUES (?, ?, 1, ?, 0)",
                    vec![version_number(&m.version).into(), m.name.clone().into(), checksum(m).into()],
                )
            })
            .collect()
    }

    fn commands(&self) -> Commands {
        Commands {
            upgrade: "sqlx migrate run",
            current: "sqlx migrate info",
            downgrade_to: "sqlx migrate revert --target-version",
        }
    }

    fn detect(&self, dir: &DirSample) -> Option<&'static str> {
        if !dir.cargo_mentions("sqlx") {
            return None;
        }
        if dir.any_name_ends_with(".up.sql") {
            Some("`*.up.sql` files and sqlx in Cargo.toml")
        } else if dir.any_name_ends_with(".sql") {
            Some("`<version>_<name>.sql` files and sqlx in Cargo.toml")
        } else {
            None
        }
    }
}

/// sqlx skips its transaction when a file starts with `-- no-transaction`
/// (sqlx-core `migrate/source.rs`, `resolve_blocking`).
fn transaction(sql: &str) -> Transaction {
    if sql.trim_start().starts_with("-- no-transaction") {
        Transaction::Off
    } else {
        Transaction::Wrapped
    }
}

/// The SHA-384 of the up file, as sqlx stores it.
fn checksum(m: &SqlMigration) -> Vec<u8> {
    use sha2::{Digest, Sha384};
    Sha384::digest(m.up.as_deref().unwrap_or("").as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversible_pairs_and_irreversible_single_files_are_both_up_files() {
        assert_eq!(Sqlx.file_role("1_a.up.sql").map(|r| r.part), Some(Part::Up));
        assert_eq!(
            Sqlx.file_role("1_a.down.sql").map(|r| r.part),
            Some(Part::Down)
        );
        assert_eq!(Sqlx.file_role("1_a.sql").map(|r| r.part), Some(Part::Up));
        assert_eq!(Sqlx.file_role("a.sql"), None);
    }

    #[test]
    fn no_transaction_only_when_the_file_starts_with_it() {
        assert_eq!(
            Sqlx.sections(Part::Up, "  -- no-transaction\nCREATE TABLE a (id int);")
                .up
                .unwrap()
                .tx,
            Transaction::Off
        );
        assert_eq!(
            Sqlx.sections(Part::Down, "DROP TABLE a;\n-- no-transaction")
                .down
                .unwrap()
                .tx,
            Transaction::Wrapped
        );
    }

    #[test]
    fn applied_rows_are_checked_against_the_files() {
        let mut m = SqlMigration::new("1", "a");
        m.up = Some("CREATE TABLE a (id int);".into());
        let row = |clean, sum: Vec<u8>| Applied {
            version: "1".into(),
            clean,
            checksum: Some(sum),
        };
        let ms = [m.clone()];
        assert_eq!(Sqlx.refusal(&[row(true, checksum(&m))], &ms), None);
        let changed = Sqlx.refusal(&[row(true, vec![1, 2])], &ms).unwrap();
        assert!(changed.ends_with("has been modified"), "{changed}");
        let partial = Sqlx.refusal(&[row(false, checksum(&m))], &ms).unwrap();
        assert!(partial.contains("partially applied"), "{partial}");
        let missing = Sqlx.refusal(&[row(true, checksum(&m))], &[]).unwrap();
        assert!(
            missing.contains("missing in the resolved migrations"),
            "{missing}"
        );
    }
}
