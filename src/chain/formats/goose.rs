//! goose (pressly/goose): `<version>_<name>.sql` holding `-- +goose Up` and `-- +goose Down`
//! sections (annotations case-insensitive, `-- +goose StatementBegin`/`StatementEnd` around
//! bodies with semicolons), each migration in a transaction unless the file says
//! `-- +goose NO TRANSACTION`; a `goose_db_version` row per applied migration, inserted on
//! up and deleted on down (`internal/dialect/dialectquery/mysql.go`). A file without a Down
//! section rolls back by running nothing, so its downgrade is empty, not missing.

use super::format::{
    role_by_suffix, split_marked, Commands, DirSample, Direction, FileRole, Part, RowPerMigration,
    Section, Sections, SqlFormat, Transaction, VersionKey,
};

#[derive(Debug)]
pub struct Goose;

const INSERT: &str = "INSERT INTO `goose_db_version` (version_id, is_applied) VALUES (?, 1)";
/// goose inserts version 0 when it creates the table; later runs find it there.
const VERSION_ZERO: &str = "INSERT INTO `goose_db_version` (version_id, is_applied) \
    SELECT 0, 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM `goose_db_version` WHERE version_id = 0)";

impl SqlFormat for Goose {
    fn name(&self) -> &'static str {
        "goose"
    }

    fn file_role(&self, file_name: &str) -> Option<FileRole> {
        role_by_suffix(file_name, ".sql", Part::Both)
    }

    fn sections(&self, _part: Part, text: &str) -> Sections {
        let (up, down) = split_marked(text, |line| match annotation(line).as_deref() {
            Some("up") => Some(Direction::Up),
            Some("down") => Some(Direction::Down),
            _ => None,
        });
        let tx = if text
            .lines()
            .any(|l| annotation(l).as_deref() == Some("no transaction"))
        {
            Transaction::Off
        } else {
            Transaction::Wrapped
        };
        // No Down annotation: `goose down` runs nothing and deletes the row.
        let down = down.or_else(|| up.as_ref().map(|_| String::new()));
        Sections {
            up: up.map(|s| Section::new(s, tx)),
            down: down.map(|s| Section::new(s, tx)),
        }
    }

    fn version_table(&self) -> &'static str {
        "goose_db_version"
    }

    fn create_table(&self) -> &'static [&'static str] {
        &[
            "CREATE TABLE IF NOT EXISTS `goose_db_version` (id serial NOT NULL, version_id bigint NOT NULL, \
                is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))",
            VERSION_ZERO,
        ]
    }

    fn applied_query(&self) -> &'static str {
        "SELECT version_id, 1, NULL FROM `goose_db_version` WHERE version_id > 0 AND is_applied ORDER BY id"
    }

    fn rows(&self) -> Option<RowPerMigration> {
        Some(RowPerMigration {
            insert: INSERT,
            delete: "DELETE FROM `goose_db_version` WHERE version_id = ?",
            key: VersionKey::Number,
            stamp_first: Some(VERSION_ZERO),
        })
    }

    fn commands(&self) -> Commands {
        Commands {
            upgrade: "goose mysql \"$GOOSE_DBSTRING\" up",
            current: "goose mysql \"$GOOSE_DBSTRING\" version",
            downgrade_to: "goose mysql \"$GOOSE_DBSTRING\" down-to",
        }
    }

    fn detect(&self, dir: &DirSample) -> Option<&'static str> {
        dir.any_line_starts_with("-- +goose up")
            .then_some("files with `-- +goose Up` sections")
    }
}

/// `-- +goose Up` → `up`: the annotation lower-cased, for a line that is one.
fn annotation(line: &str) -> Option<String> {
    let rest = line.trim_end().strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("+goose")?;
    Some(rest.trim().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::super::format::{Bookkeeping, SqlMigration};
    use super::*;

    #[test]
    fn annotations_are_case_insensitive_and_split_the_file() {
        let s = Goose.sections(
            Part::Both,
            "-- +goose up\n-- +goose StatementBegin\nCREATE TABLE a (id int);\n-- +goose StatementEnd\n\n-- +goose DOWN\nDROP TABLE a;\n",
        );
        let up = s.up.unwrap();
        assert!(up.sql.contains("CREATE TABLE a"), "{}", up.sql);
        assert!(!up.sql.contains("DROP"), "{}", up.sql);
        assert_eq!(up.tx, Transaction::Wrapped);
        assert_eq!(s.down.unwrap().sql.trim(), "DROP TABLE a;");
    }

    #[test]
    fn no_transaction_covers_both_directions() {
        let s = Goose.sections(
            Part::Both,
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX i ON a (id);\n-- +goose Down\nDROP INDEX i ON a;\n",
        );
        assert_eq!(s.up.unwrap().tx, Transaction::Off);
        assert_eq!(s.down.unwrap().tx, Transaction::Off);
    }

    #[test]
    fn a_file_without_a_down_section_rolls_back_by_running_nothing() {
        let s = Goose.sections(Part::Both, "-- +goose Up\nCREATE TABLE a (id int);\n");
        assert_eq!(s.down.unwrap().sql, "");
        let s = Goose.sections(Part::Both, "CREATE TABLE a (id int);\n");
        assert_eq!(
            s,
            Sections::default(),
            "no Up annotation: not a goose migration"
        );
    }

    #[test]
    fn rows_are_inserted_on_up_and_deleted_on_down() {
        let m = SqlMigration::new("00002", "b");
        let up = Goose.mark_done(&m, Direction::Up, Some("00002"), 5);
        assert_eq!(up, [Bookkeeping::new(INSERT, vec![2i64.into()])]);
        let down = Goose.mark_done(&m, Direction::Down, Some("00001"), 5);
        assert!(down[0].sql.starts_with("DELETE"));
        assert!(Goose.mark_start(&m, Direction::Up, None).is_empty());
        let stamp = Goose.stamp(&[SqlMigration::new("1", "a"), m]);
        assert_eq!(stamp.len(), 3, "version 0, then one row per migration");
    }
}
