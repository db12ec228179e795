//! `build()`: information_schema rows (as recorded, any engine) → `Snapshot`. Pure, so the
//! MySQL-only shapes (functional key parts, `IS_VISIBLE`, wrapped expressions) are tested on
//! recorded rows without a MySQL server.

use std::collections::BTreeMap;

use super::model::{
    Column, Definition, Event, ForeignKey, Index, IndexColumn, IndexKind, Routine, RoutineKind,
    Snapshot, Table, TableOptions, Trigger, View,
};
use super::normalize::{
    create_table_lines, normalize_collation, normalize_default, normalize_extra, normalize_sql,
    normalize_type, partition_clause, strip_definer, DefaultSpelling,
};

/// One information_schema row: column name (upper case) → value as text (`None` = NULL).
/// Rows are read with `SELECT *` so one query fits every server version: columns a server
/// lacks (`IGNORED` before MariaDB 10.6, `EXPRESSION` outside MySQL 8) are simply absent.
pub type Record = BTreeMap<String, Option<String>>;

/// The kinds of object a `SHOW CREATE …` text is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CreateKind {
    Table,
    Sequence,
    Procedure,
    Function,
    Trigger,
    Event,
}

/// Everything `take_snapshot` reads, before interpretation.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// information_schema.TABLES (base tables, views, sequences, system-versioned tables).
    pub tables: Vec<Record>,
    pub columns: Vec<Record>,
    pub statistics: Vec<Record>,
    /// KEY_COLUMN_USAGE joined with REFERENTIAL_CONSTRAINTS (UPDATE_RULE, DELETE_RULE).
    pub foreign_keys: Vec<Record>,
    /// TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE.
    pub checks: Vec<Record>,
    pub views: Vec<Record>,
    pub triggers: Vec<Record>,
    pub routines: Vec<Record>,
    pub events: Vec<Record>,
    pub creates: BTreeMap<(CreateKind, String), String>,
    /// How the server spells COLUMN_DEFAULT (literal vs expression).
    pub defaults: DefaultSpelling,
}

fn get<'a>(r: &'a Record, key: &str) -> Option<&'a str> {
    r.get(key).and_then(|v| v.as_deref())
}

fn text(r: &Record, key: &str) -> String {
    get(r, key).unwrap_or_default().to_string()
}

fn num(r: &Record, key: &str) -> Option<i64> {
    get(r, key).and_then(|v| v.trim().parse().ok())
}

/// Base tables and system-versioned tables are tables; views and sequences have their own maps.
fn is_table(table_type: &str) -> bool {
    matches!(table_type, "BASE TABLE" | "SYSTEM VERSIONED")
}

pub fn build(rec: &Recorded, db: &str, exclude: &[String]) -> Snapshot {
    let reader = Reader { rec, db, exclude };
    let mut snap = Snapshot::default();
    // Tables first: columns, indexes, keys and checks attach to them.
    reader.tables(&mut snap);
    reader.columns(&mut snap);
    reader.indexes(&mut snap);
    reader.foreign_keys(&mut snap);
    reader.checks(&mut snap);
    reader.views(&mut snap);
    reader.triggers(&mut snap);
    reader.routines(&mut snap);
    reader.events(&mut snap);
    snap
}

/// The recorded rows of one database, read section by section into a `Snapshot`.
struct Reader<'a> {
    rec: &'a Recorded,
    db: &'a str,
    /// Tables left out (the tool's version table).
    exclude: &'a [String],
}

impl Reader<'_> {
    fn skip(&self, table: &str) -> bool {
        self.exclude.iter().any(|e| e.eq_ignore_ascii_case(table))
    }

    fn create(&self, kind: CreateKind, name: &str) -> String {
        self.rec
            .creates
            .get(&(kind, name.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// Base tables (with options and `SHOW CREATE TABLE`) and sequences.
    fn tables(&self, snap: &mut Snapshot) {
        for r in &self.rec.tables {
            let name = text(r, "TABLE_NAME");
            let ty = text(r, "TABLE_TYPE");
            if self.skip(&name) {
                continue;
            }
            if ty == "SEQUENCE" {
                let definition = strip_definer(&self.create(CreateKind::Sequence, &name), self.db);
                snap.sequences
                    .insert(name.clone(), Definition { name, definition });
                continue;
            }
            if !is_table(&ty) {
                continue;
            }
            let create_sql = strip_auto_increment(&self.create(CreateKind::Table, &name));
            let options = TableOptions {
                engine: text(r, "ENGINE"),
                collation: normalize_collation(get(r, "TABLE_COLLATION")).unwrap_or_default(),
                row_format: text(r, "ROW_FORMAT"),
                comment: text(r, "TABLE_COMMENT"),
                partitioning: partition_clause(&create_sql),
                system_versioned: ty == "SYSTEM VERSIONED",
            };
            snap.tables.insert(
                name.clone(),
                Table {
                    create_lines: create_table_lines(&create_sql, &name),
                    name,
                    options,
                    create_sql,
                    ..Default::default()
                },
            );
        }
    }

    /// Each table's columns, normalised across engines.
    fn columns(&self, snap: &mut Snapshot) {
        for r in &self.rec.columns {
            let Some(t) = snap.tables.get_mut(&text(r, "TABLE_NAME")) else {
                continue;
            };
            let name = text(r, "COLUMN_NAME");
            // MariaDB: NULL when not generated; MySQL: empty string.
            let generation_expression = get(r, "GENERATION_EXPRESSION")
                .filter(|g| !g.trim().is_empty())
                .map(|g| normalize_sql(g, self.db));
            let extra = normalize_extra(&text(r, "EXTRA"));
            t.columns.insert(
                name.clone(),
                Column {
                    name,
                    position: num(r, "ORDINAL_POSITION").unwrap_or(0) as u32,
                    column_type: normalize_type(&text(r, "COLUMN_TYPE")),
                    nullable: get(r, "IS_NULLABLE") == Some("YES"),
                    // A generated column has no default; MariaDB reports its expression there.
                    default: if generation_expression.is_some() {
                        None
                    } else {
                        normalize_default(
                            get(r, "COLUMN_DEFAULT"),
                            &text(r, "EXTRA"),
                            self.rec.defaults,
                        )
                    },
                    extra,
                    collation: normalize_collation(get(r, "COLLATION_NAME")),
                    comment: text(r, "COLUMN_COMMENT"),
                    generation_expression,
                },
            );
        }
    }

    /// Each table's indexes, key parts in order.
    fn indexes(&self, snap: &mut Snapshot) {
        let mut stats: Vec<&Record> = self.rec.statistics.iter().collect();
        stats.sort_by_key(|r| {
            (
                text(r, "TABLE_NAME"),
                text(r, "INDEX_NAME"),
                num(r, "SEQ_IN_INDEX").unwrap_or(0),
            )
        });
        for r in stats {
            let Some(t) = snap.tables.get_mut(&text(r, "TABLE_NAME")) else {
                continue;
            };
            let name = text(r, "INDEX_NAME");
            // MySQL 8: IS_VISIBLE YES/NO; MariaDB 10.6+: IGNORED YES/NO.
            let visible = get(r, "IS_VISIBLE") != Some("NO") && get(r, "IGNORED") != Some("YES");
            let idx = t.indexes.entry(name.clone()).or_insert_with(|| Index {
                name,
                unique: num(r, "NON_UNIQUE") == Some(0),
                columns: Vec::new(),
                kind: IndexKind::from_index_type(get(r, "INDEX_TYPE").unwrap_or("BTREE")),
                visible,
            });
            // MariaDB reports SUB_PART 32 for every SPATIAL key part; it is not a prefix anyone
            // wrote (and `(g(32))` would not be accepted back).
            let sub_part = num(r, "SUB_PART")
                .filter(|_| idx.kind != IndexKind::Spatial)
                .map(|v| v as u32);
            idx.columns.push(IndexColumn {
                name: text(r, "COLUMN_NAME"),
                sub_part,
                descending: get(r, "COLLATION") == Some("D"),
                // MySQL 8.0.13+ functional key part: COLUMN_NAME is NULL, EXPRESSION holds it.
                expression: get(r, "EXPRESSION")
                    .filter(|e| get(r, "COLUMN_NAME").is_none() && !e.is_empty())
                    .map(|e| normalize_sql(e, self.db)),
            });
        }
    }

    /// Each table's foreign keys, columns in order.
    fn foreign_keys(&self, snap: &mut Snapshot) {
        let mut fks: Vec<&Record> = self.rec.foreign_keys.iter().collect();
        fks.sort_by_key(|r| {
            (
                text(r, "TABLE_NAME"),
                text(r, "CONSTRAINT_NAME"),
                num(r, "ORDINAL_POSITION").unwrap_or(0),
            )
        });
        for r in fks {
            let Some(t) = snap.tables.get_mut(&text(r, "TABLE_NAME")) else {
                continue;
            };
            let name = text(r, "CONSTRAINT_NAME");
            let fk = t
                .foreign_keys
                .entry(name.clone())
                .or_insert_with(|| ForeignKey {
                    name,
                    columns: Vec::new(),
                    ref_table: text(r, "REFERENCED_TABLE_NAME"),
                    ref_columns: Vec::new(),
                    on_update: text(r, "UPDATE_RULE"),
                    on_delete: text(r, "DELETE_RULE"),
                });
            fk.columns.push(text(r, "COLUMN_NAME"));
            fk.ref_columns.push(text(r, "REFERENCED_COLUMN_NAME"));
        }
    }

    /// Each table's check constraints.
    fn checks(&self, snap: &mut Snapshot) {
        for r in &self.rec.checks {
            if let Some(t) = snap.tables.get_mut(&text(r, "TABLE_NAME")) {
                let mut clause = normalize_sql(&text(r, "CHECK_CLAUSE"), self.db);
                // Switching a check off changes what the table accepts: part of the check.
                if text(r, "ENFORCED") == "NO" {
                    clause.push_str(" NOT ENFORCED");
                }
                t.checks.insert(text(r, "CONSTRAINT_NAME"), clause);
            }
        }
    }

    /// Views, definitions normalised.
    fn views(&self, snap: &mut Snapshot) {
        for r in &self.rec.views {
            let name = text(r, "TABLE_NAME");
            if self.skip(&name) {
                continue;
            }
            snap.views.insert(
                name.clone(),
                View {
                    name,
                    definition: normalize_sql(&text(r, "VIEW_DEFINITION"), self.db),
                    check_option: text(r, "CHECK_OPTION"),
                    security_type: text(r, "SECURITY_TYPE"),
                },
            );
        }
    }

    /// Triggers with their bodies and `SHOW CREATE TRIGGER`.
    fn triggers(&self, snap: &mut Snapshot) {
        for r in &self.rec.triggers {
            let name = text(r, "TRIGGER_NAME");
            snap.triggers.insert(
                name.clone(),
                Trigger {
                    table: text(r, "EVENT_OBJECT_TABLE"),
                    timing: text(r, "ACTION_TIMING"),
                    event: text(r, "EVENT_MANIPULATION"),
                    order: num(r, "ACTION_ORDER").unwrap_or(0) as u32,
                    // MySQL keeps the body's closing `;`, MariaDB does not.
                    statement: without_trailing_semicolons(&normalize_sql(
                        &text(r, "ACTION_STATEMENT"),
                        self.db,
                    )),
                    create_sql: without_trailing_semicolons(&strip_definer(
                        &self.create(CreateKind::Trigger, &name),
                        self.db,
                    )),
                    name,
                },
            );
        }
    }

    /// Procedures and functions, keyed by kind and name.
    fn routines(&self, snap: &mut Snapshot) {
        for r in &self.rec.routines {
            let name = text(r, "ROUTINE_NAME");
            let kind = match text(r, "ROUTINE_TYPE").as_str() {
                "FUNCTION" => RoutineKind::Function,
                _ => RoutineKind::Procedure,
            };
            let ck = match kind {
                RoutineKind::Procedure => CreateKind::Procedure,
                RoutineKind::Function => CreateKind::Function,
            };
            snap.routines.insert(
                format!("{kind} {name}"),
                Routine {
                    definition: strip_definer(&self.create(ck, &name), self.db),
                    name,
                    kind,
                },
            );
        }
    }

    /// Scheduled events.
    fn events(&self, snap: &mut Snapshot) {
        for r in &self.rec.events {
            let name = text(r, "EVENT_NAME");
            // STARTS/EXECUTE_AT default to the creation time: history, not schema.
            let schedule = match text(r, "EVENT_TYPE").as_str() {
                "RECURRING" => format!(
                    "EVERY {} {}",
                    text(r, "INTERVAL_VALUE"),
                    text(r, "INTERVAL_FIELD")
                ),
                other => other.to_string(),
            };
            snap.events.insert(
                name.clone(),
                Event {
                    schedule,
                    status: text(r, "STATUS"),
                    on_completion: text(r, "ON_COMPLETION"),
                    body: normalize_sql(&text(r, "EVENT_DEFINITION"), self.db),
                    create_sql: strip_definer(&self.create(CreateKind::Event, &name), self.db),
                    name,
                },
            );
        }
    }
}

fn strip_auto_increment(create: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r" AUTO_INCREMENT=\d+").expect("regex"))
        .replace(create, "")
        .into_owned()
}

/// `…VALUES (NEW.id);` → `…VALUES (NEW.id)`: renderers add their own terminator.
fn without_trailing_semicolons(sql: &str) -> String {
    sql.trim_end_matches(|c: char| c == ';' || c.is_whitespace())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Option<&str>)]) -> Record {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    fn table_row(name: &str) -> Record {
        row(&[
            ("TABLE_NAME", Some(name)),
            ("TABLE_TYPE", Some("BASE TABLE")),
            ("ENGINE", Some("InnoDB")),
            ("TABLE_COLLATION", Some("utf8mb4_0900_ai_ci")),
            ("ROW_FORMAT", Some("Dynamic")),
            ("TABLE_COMMENT", Some("")),
        ])
    }

    /// Rows as MySQL 8.0 returns them for
    /// `CREATE TABLE users (id int PRIMARY KEY, email varchar(100), INDEX ix_lower ((lower(email))),
    ///  INDEX ix_email_desc (email DESC) INVISIBLE)`.
    fn mysql_functional_index(expr: &str) -> Recorded {
        let stat = |index: &str,
                    seq: &str,
                    col: Option<&str>,
                    expr: Option<&str>,
                    coll: &str,
                    vis: &str| {
            row(&[
                ("TABLE_NAME", Some("users")),
                ("INDEX_NAME", Some(index)),
                (
                    "NON_UNIQUE",
                    Some(if index == "PRIMARY" { "0" } else { "1" }),
                ),
                ("SEQ_IN_INDEX", Some(seq)),
                ("COLUMN_NAME", col),
                ("COLLATION", Some(coll)),
                ("SUB_PART", None),
                ("INDEX_TYPE", Some("BTREE")),
                ("IS_VISIBLE", Some(vis)),
                ("EXPRESSION", expr),
            ])
        };
        Recorded {
            tables: vec![table_row("users")],
            statistics: vec![
                stat("ix_lower", "1", None, Some(expr), "A", "YES"),
                stat("PRIMARY", "1", Some("id"), None, "A", "YES"),
                stat("ix_email_desc", "1", Some("email"), None, "D", "NO"),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn mysql_functional_key_parts_are_compared_by_expression() {
        let a = build(&mysql_functional_index("lower(`email`)"), "app", &[]);
        let b = build(&mysql_functional_index("upper(`email`)"), "app", &[]);
        let ix = &a.tables["users"].indexes["ix_lower"];
        assert_eq!(ix.columns[0].expression.as_deref(), Some("lower(`email`)"));
        assert_eq!(ix.to_string(), "((lower(`email`)))");
        assert_ne!(
            a, b,
            "two different functional indexes must not compare equal"
        );
        let d = super::super::diff(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].to_string(),
            "~ index ix_lower on users: ((lower(`email`))) → ((upper(`email`)))"
        );
    }

    #[test]
    fn mysql_invisible_and_descending_index() {
        let s = build(&mysql_functional_index("lower(`email`)"), "app", &[]);
        let ix = &s.tables["users"].indexes["ix_email_desc"];
        assert!(!ix.visible);
        assert!(ix.columns[0].descending);
        assert_eq!(ix.to_string(), "(email DESC) INVISIBLE");
    }

    #[test]
    fn mariadb_ignored_index_is_not_visible() {
        let rec = Recorded {
            tables: vec![table_row("t")],
            statistics: vec![row(&[
                ("TABLE_NAME", Some("t")),
                ("INDEX_NAME", Some("ix_a")),
                ("NON_UNIQUE", Some("1")),
                ("SEQ_IN_INDEX", Some("1")),
                ("COLUMN_NAME", Some("a")),
                ("INDEX_TYPE", Some("FULLTEXT")),
                ("IGNORED", Some("YES")),
            ])],
            ..Default::default()
        };
        let ix = &build(&rec, "db", &[]).tables["t"].indexes["ix_a"];
        assert!(!ix.visible);
        assert_eq!(ix.kind, IndexKind::Fulltext);
    }

    /// MySQL 8: GENERATION_EXPRESSION is '' for plain columns and wrapped/introduced for
    /// generated ones; EXTRA says `DEFAULT_GENERATED` for expression defaults.
    #[test]
    fn mysql_columns_generated_and_plain_agree_with_mariadb_spelling() {
        let col = |gen: &str, extra: &str, default: Option<&str>| Recorded {
            tables: vec![table_row("t")],
            columns: vec![row(&[
                ("TABLE_NAME", Some("t")),
                ("COLUMN_NAME", Some("c")),
                ("ORDINAL_POSITION", Some("2")),
                ("COLUMN_TYPE", Some("varchar(20)")),
                ("IS_NULLABLE", Some("YES")),
                ("COLUMN_DEFAULT", default),
                ("EXTRA", Some(extra)),
                ("COLLATION_NAME", Some("utf8mb4_general_ci")),
                ("COLUMN_COMMENT", Some("")),
                ("GENERATION_EXPRESSION", Some(gen)),
            ])],
            ..Default::default()
        };
        let mysql = build(
            &col("concat(`a`,_utf8mb4'-x')", "VIRTUAL GENERATED", None),
            "app",
            &[],
        );
        let mariadb = build(
            &col(
                "concat(`a`,'-x')",
                "VIRTUAL GENERATED",
                Some("concat(`a`,'-x')"),
            ),
            "app",
            &[],
        );
        assert_eq!(mysql, mariadb);
        let c = &mysql.tables["t"].columns["c"];
        assert_eq!(c.generation_expression.as_deref(), Some("concat(`a`,'-x')"));
        let plain = build(&col("", "", None), "app", &[]);
        assert_eq!(plain.tables["t"].columns["c"].generation_expression, None);
    }

    #[test]
    fn mysql_check_clause_and_view_definition() {
        let rec = |check: &str, view: &str| Recorded {
            tables: vec![
                table_row("t"),
                row(&[("TABLE_NAME", Some("v")), ("TABLE_TYPE", Some("VIEW"))]),
            ],
            checks: vec![row(&[
                ("TABLE_NAME", Some("t")),
                ("CONSTRAINT_NAME", Some("t_chk_1")),
                ("CHECK_CLAUSE", Some(check)),
            ])],
            views: vec![row(&[
                ("TABLE_NAME", Some("v")),
                ("VIEW_DEFINITION", Some(view)),
                ("CHECK_OPTION", Some("NONE")),
                ("SECURITY_TYPE", Some("DEFINER")),
            ])],
            ..Default::default()
        };
        // MySQL qualifies with the schema and wraps checks in parentheses; MariaDB does not wrap.
        let mysql = build(
            &rec(
                "(`price` > 0)",
                "select `mh_1`.`t`.`id` AS `id` from `mh_1`.`t`",
            ),
            "mh_1",
            &[],
        );
        let mariadb = build(
            &rec(
                "`price` > 0",
                "select `mh_2`.`t`.`id` AS `id` from `mh_2`.`t`",
            ),
            "mh_2",
            &[],
        );
        assert_eq!(mysql, mariadb);
        assert_eq!(
            mysql.views["v"].definition,
            "select `t`.`id` AS `id` from `t`"
        );
        assert!(mysql.tables.contains_key("t") && !mysql.tables.contains_key("v"));
    }

    #[test]
    fn check_not_enforced_differs_from_the_same_check_enforced() {
        let rec = |enforced: Option<&str>| Recorded {
            tables: vec![table_row("t")],
            checks: vec![row(&[
                ("TABLE_NAME", Some("t")),
                ("CONSTRAINT_NAME", Some("t_chk_1")),
                ("CHECK_CLAUSE", Some("(`price` > 0)")),
                ("ENFORCED", enforced),
            ])],
            ..Default::default()
        };
        let on = build(&rec(Some("YES")), "db", &[]);
        let off = build(&rec(Some("NO")), "db", &[]);
        // MariaDB has no ENFORCED column: its checks are enforced, like MySQL's YES.
        let mariadb = build(&rec(None), "db", &[]);
        assert_eq!(on, mariadb);
        assert_ne!(on, off);
        assert_eq!(
            off.tables["t"].checks["t_chk_1"],
            "`price` > 0 NOT ENFORCED"
        );
    }

    #[test]
    fn trigger_body_loses_mysqls_closing_semicolon() {
        let rec = |body: &str| Recorded {
            tables: vec![table_row("t")],
            triggers: vec![row(&[
                ("TRIGGER_NAME", Some("tr")),
                ("EVENT_OBJECT_TABLE", Some("t")),
                ("ACTION_TIMING", Some("AFTER")),
                ("EVENT_MANIPULATION", Some("INSERT")),
                ("ACTION_ORDER", Some("1")),
                ("ACTION_STATEMENT", Some(body)),
            ])],
            ..Default::default()
        };
        let mysql = build(&rec("INSERT INTO l VALUES (NEW.id);"), "db", &[]);
        let mariadb = build(&rec("INSERT INTO l VALUES (NEW.id)"), "db", &[]);
        assert_eq!(mysql, mariadb);
        assert_eq!(
            mysql.triggers["tr"].statement,
            "INSERT INTO l VALUES (NEW.id)"
        );
        // A clean body stays as it is.
        let plain = build(&rec("SET NEW.v = 1"), "db", &[]);
        assert_eq!(plain.triggers["tr"].statement, "SET NEW.v = 1");
    }

    #[test]
    fn sequences_and_system_versioned_tables() {
        let mut rec = Recorded {
            tables: vec![
                row(&[
                    ("TABLE_NAME", Some("seq")),
                    ("TABLE_TYPE", Some("SEQUENCE")),
                ]),
                row(&[
                    ("TABLE_NAME", Some("h")),
                    ("TABLE_TYPE", Some("SYSTEM VERSIONED")),
                    ("ENGINE", Some("InnoDB")),
                ]),
            ],
            ..Default::default()
        };
        rec.creates.insert(
            (CreateKind::Sequence, "seq".into()),
            "CREATE SEQUENCE `seq` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 1 cache 1000 nocycle ENGINE=InnoDB".into(),
        );
        let s = build(&rec, "db", &[]);
        assert!(s.sequences["seq"].definition.contains("increment by 1"));
        assert!(s.tables["h"].options.system_versioned);
        assert!(!s.tables.contains_key("seq"));
    }

    #[test]
    fn excluded_version_table_is_left_out() {
        let rec = Recorded {
            tables: vec![table_row("alembic_version"), table_row("t")],
            ..Default::default()
        };
        let s = build(&rec, "db", &["ALEMBIC_VERSION".to_string()]);
        assert_eq!(s.tables.keys().collect::<Vec<_>>(), ["t"]);
    }

    /// The seeder (`data::generate`) reads ENUM labels from `column_type`: it must insert
    /// them exactly as declared, case included.
    #[test]
    fn seeder_inserts_enum_labels_as_declared() {
        let rec = Recorded {
            tables: vec![table_row("t")],
            columns: vec![row(&[
                ("TABLE_NAME", Some("t")),
                ("COLUMN_NAME", Some("state")),
                ("ORDINAL_POSITION", Some("1")),
                ("COLUMN_TYPE", Some("ENUM('Open','closed')")),
                ("IS_NULLABLE", Some("NO")),
                ("EXTRA", Some("")),
            ])],
            ..Default::default()
        };
        let snap = build(&rec, "db", &[]);
        assert_eq!(
            snap.tables["t"].columns["state"].column_type,
            "enum('Open','closed')"
        );
        let plan = crate::data::generate(&snap, &[]);
        let values: Vec<&str> = plan.inserts[0].rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(values[..2], ["'Open'", "'closed'"]);
    }
}
