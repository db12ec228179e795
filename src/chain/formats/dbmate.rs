//! dbmate: `<version>_<name>.sql` holding `-- migrate:up` and `-- migrate:down` sections,
//! each in a transaction unless its marker says `transaction:false`; a
//! `schema_migrations(version)` row per applied migration.

use super::format::{
    role_by_suffix, split_marked, Commands, DirSample, Direction, FileRole, Part, RowPerMigration,
    Section, Sections, SqlFormat, Transaction, VersionKey,
};

#[derive(Debug)]
pub struct Dbmate;

impl SqlFormat for Dbmate {
    fn name(&self) -> &'static str {
        "dbmate"
    }

    fn file_role(&self, file_name: &str) -> Option<FileRole> {
        if file_name.ends_with(".up.sql") || file_name.ends_with(".down.sql") {
            return None;
        }
        role_by_suffix(file_name, ".sql", Part::Both)
    }

    fn sections(&self, _part: Part, text: &str) -> Sections {
        let (up, down) = split_sections(text);
        let (up_tx, down_tx) = options(text);
        Sections {
            up: up.map(|s| Section::new(s, up_tx)),
            down: down.map(|s| Section::new(s, down_tx)),
        }
    }

    fn version_table(&self) -> &'static str {
        "schema_migrations"
    }

    fn create_table(&self) -> &'static [&'static str] {
        &["CREATE TABLE IF NOT EXISTS `schema_migrations` (version varchar(128) NOT NULL, PRIMARY KEY (version))"]
    }

    fn applied_query(&self) -> &'static str {
        "SELECT version, 1, NULL FROM `schema_migrations` ORDER BY version"
    }

    fn rows(&self) -> Option<RowPerMigration> {
        Some(RowPerMigration {
            insert: "INSERT INTO `schema_migrations` (version) VALUES (?)",
            delete: "DELETE FROM `schema_migrations` WHERE version = ?",
            key: VersionKey::Spelled,
            stamp_first: None,
        })
    }

    fn commands(&self) -> Commands {
        Commands {
            upgrade: "dbmate up",
            current: "dbmate status",
            downgrade_to: "dbmate rollback",
        }
    }

    fn detect(&self, dir: &DirSample) -> Option<&'static str> {
        dir.any_text_contains("-- migrate:up")
            .then_some("files with `-- migrate:up` sections")
    }
}

/// The up and down sections of a dbmate file (the text after each marker line).
pub fn split_sections(src: &str) -> (Option<String>, Option<String>) {
    split_marked(src, |line| {
        let t = line.trim();
        if t.starts_with("-- migrate:up") {
            Some(Direction::Up)
        } else if t.starts_with("-- migrate:down") {
            Some(Direction::Down)
        } else {
            None
        }
    })
}

/// `-- migrate:up transaction:false` turns the wrapping transaction off for that section
/// (dbmate `pkg/dbmate/migration.go`, `parseMigrationOptions`): (up, down).
fn options(src: &str) -> (Transaction, Transaction) {
    let find = |marker: &str| {
        src.lines()
            .map(str::trim)
            .find(|l| l.starts_with(marker))
            .map(|l| {
                if l.split_whitespace().any(|w| w == "transaction:false") {
                    Transaction::Off
                } else {
                    Transaction::Wrapped
                }
            })
            .unwrap_or_default()
    };
    (find("-- migrate:up"), find("-- migrate:down"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_file_into_its_up_and_down_sections() {
        let (up, down) = split_sections(
            "-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        assert_eq!(up.unwrap().trim(), "CREATE TABLE t (id int);");
        assert_eq!(down.unwrap().trim(), "DROP TABLE t;");
        let (up, down) = split_sections("-- migrate:up\nCREATE TABLE t (id int);\n");
        assert!(up.is_some());
        assert_eq!(down, None, "no marker, no down section");
    }

    #[test]
    fn a_marker_turns_its_sections_transaction_off() {
        let s = Dbmate.sections(
            Part::Both,
            "-- migrate:up transaction:false\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
        );
        assert_eq!(s.up.unwrap().tx, Transaction::Off);
        assert_eq!(s.down.unwrap().tx, Transaction::Wrapped);
    }

    #[test]
    fn one_sql_file_holds_both_parts_and_pair_files_are_not_dbmates() {
        assert_eq!(
            Dbmate.file_role("20240101000000_books.sql").map(|r| r.part),
            Some(Part::Both)
        );
        assert_eq!(Dbmate.file_role("1_a.up.sql"), None);
        assert_eq!(Dbmate.file_role("schema.sql"), None);
    }

    #[test]
    fn a_row_per_migration_keyed_by_the_version_as_spelled() {
        use super::super::format::{Bookkeeping, SqlMigration};
        use crate::chain::VersionStyle;
        let m = SqlMigration::new("20240101000000", "books");
        let up = Dbmate.mark_done(&m, Direction::Up, Some("20240101000000"), 5);
        assert_eq!(
            up,
            [Bookkeeping::new(
                "INSERT INTO `schema_migrations` (version) VALUES (?)",
                vec!["20240101000000".into()]
            )]
        );
        let down = Dbmate.mark_done(&m, Direction::Down, None, 5);
        assert!(down[0].sql.starts_with("DELETE"), "{down:?}");
        assert_eq!(Dbmate.stamp(&[m]).len(), 1);
        assert_eq!(Dbmate.style(), VersionStyle::PerRevision);
    }
}
