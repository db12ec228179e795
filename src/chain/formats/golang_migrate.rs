//! golang-migrate: `<version>_<name>.up.sql` / `.down.sql`, each file sent as it is and never
//! in a transaction; one `schema_migrations(version, dirty)` row that is set dirty before a
//! migration runs (`migrate.go` `runMigrations`).

use super::format::SqlMigration;
use super::format::{
    role_by_suffix, version_number, Applied, Bookkeeping, Commands, DirSample, Direction, FileRole,
    Part, Section, Sections, SqlFormat, Transaction,
};

#[derive(Debug)]
pub struct GolangMigrate;

const CLEAR: &str = "DELETE FROM `schema_migrations`";

impl SqlFormat for GolangMigrate {
    fn name(&self) -> &'static str {
        "golang-migrate"
    }

    fn file_role(&self, file_name: &str) -> Option<FileRole> {
        role_by_suffix(file_name, ".up.sql", Part::Up)
            .or_else(|| role_by_suffix(file_name, ".down.sql", Part::Down))
    }

    fn sections(&self, part: Part, text: &str) -> Sections {
        let s = Some(Section::new(text, Transaction::Off));
        match part {
            Part::Down => Sections { up: None, down: s },
            _ => Sections { up: s, down: None },
        }
    }

    fn version_table(&self) -> &'static str {
        "schema_migrations"
    }

    fn create_table(&self) -> &'static [&'static str] {
        &["CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint NOT NULL, dirty boolean NOT NULL, PRIMARY KEY (version))"]
    }

    fn applied_query(&self) -> &'static str {
        "SELECT version, dirty = 0, NULL FROM `schema_migrations`"
    }

    /// `migrate.go`: "Dirty database version %v. Fix and force version."
    fn refusal(&self, applied: &[Applied], migrations: &[SqlMigration]) -> Option<String> {
        let order: Vec<String> = migrations.iter().map(|m| m.version.clone()).collect();
        applied.iter().any(|a| !a.clean).then(|| {
            let rows: Vec<String> = applied
                .iter()
                .map(|a| super::format::spelled(&a.version, &order))
                .collect();
            format!(
                "Dirty database version {}. Fix and force version.",
                rows.join(",")
            )
        })
    }

    /// The version it is moving *to* is set dirty first: a failed down of 3 leaves 2 dirty,
    /// a failed down of the first leaves -1 dirty (`database/mysql/mysql.go` `SetVersion`).
    fn mark_start(
        &self,
        _m: &SqlMigration,
        _dir: Direction,
        now: Option<&str>,
    ) -> Vec<Bookkeeping> {
        let to = now.map(version_number).unwrap_or(-1);
        vec![
            Bookkeeping::new(CLEAR, vec![]),
            Bookkeeping::new(
                "INSERT INTO `schema_migrations` (version, dirty) VALUES (?, 1)",
                vec![to.into()],
            ),
        ]
    }

    fn mark_done(
        &self,
        _m: &SqlMigration,
        _dir: Direction,
        now: Option<&str>,
        _ms: u64,
    ) -> Vec<Bookkeeping> {
        let mut out = vec![Bookkeeping::new(CLEAR, vec![])];
        out.extend(now.map(|n| Bookkeeping::new(INSERT_CLEAN, vec![version_number(n).into()])));
        out
    }

    fn stamp(&self, applied: &[SqlMigration]) -> Vec<Bookkeeping> {
        applied
            .last()
            .map(|m| Bookkeeping::new(INSERT_CLEAN, vec![version_number(&m.version).into()]))
            .into_iter()
            .collect()
    }

    /// `database/mysql/mysql.go` `Run` → `ExecContext(query)`, even for an empty file (the
    /// server answers 1065).
    fn sends_empty_files(&self) -> bool {
        true
    }

    fn commands(&self) -> Commands {
        Commands {
            upgrade: "migrate -path migrations -database \"mysql://…\" up",
            current: "migrate -path migrations -database \"mysql://…\" version",
            downgrade_to: "migrate -path migrations -database \"mysql://…\" goto",
        }
    }

    fn detect(&self, dir: &DirSample) -> Option<&'static str> {
        dir.any_name_ends_with(".up.sql").then_some(
            "`*.up.sql` / `*.down.sql` pairs (sqlx uses the same names: set format = \"sqlx\" if you deploy with sqlx)",
        )
    }
}

const INSERT_CLEAN: &str = "INSERT INTO `schema_migrations` (version, dirty) VALUES (?, 0)";

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(v: &str) -> SqlMigration {
        SqlMigration::new(v, "x")
    }

    #[test]
    fn pairs_up_and_down_files_and_ignores_single_files() {
        let f = GolangMigrate;
        assert_eq!(
            f.file_role("000002_create_orders.up.sql"),
            Some(FileRole {
                version: "000002".into(),
                name: "create orders".into(),
                part: Part::Up
            })
        );
        assert_eq!(
            f.file_role("2_x.down.sql").map(|r| r.part),
            Some(Part::Down)
        );
        assert_eq!(f.file_role("2_x.sql"), None);
        assert_eq!(f.file_role("README.md"), None);
        assert_eq!(f.file_role("x_2.up.sql"), None);
    }

    #[test]
    fn never_wraps_a_file_in_a_transaction() {
        let s = GolangMigrate.sections(Part::Up, "CREATE TABLE a (id int);");
        assert_eq!(s.up.unwrap().tx, Transaction::Off);
        assert!(s.down.is_none());
        let s = GolangMigrate.sections(Part::Down, "DROP TABLE a;");
        assert_eq!(s.down.unwrap().tx, Transaction::Off);
    }

    #[test]
    fn a_failed_down_of_the_first_migration_leaves_minus_one_dirty() {
        let start = GolangMigrate.mark_start(&migration("1"), Direction::Down, None);
        assert_eq!(start[1].params, vec![mysql_async::Value::from(-1i64)]);
        let start = GolangMigrate.mark_start(&migration("3"), Direction::Down, Some("000002"));
        assert_eq!(start[1].params, vec![mysql_async::Value::from(2i64)]);
        // Done at base: the table is emptied and nothing inserted.
        assert_eq!(
            GolangMigrate
                .mark_done(&migration("1"), Direction::Down, None, 0)
                .len(),
            1
        );
    }

    #[test]
    fn a_dirty_row_is_refused_in_the_files_spelling() {
        let applied = [Applied {
            version: "2".into(),
            clean: false,
            checksum: None,
        }];
        let ms = [migration("000001"), migration("000002")];
        assert_eq!(
            GolangMigrate.refusal(&applied, &ms).as_deref(),
            Some("Dirty database version 000002. Fix and force version.")
        );
        let clean = [Applied {
            clean: true,
            ..applied[0].clone()
        }];
        assert_eq!(GolangMigrate.refusal(&clean, &ms), None);
    }
}
