//! "Caused by": which earlier finding explains a server error. A leftover object (`+` in a
//! downgrade's diff) explains "already exists"; an object dropped too early (`-`) explains
//! "unknown" and "can't drop" — the same object, of the same kind, on the same table, seen
//! earlier in every scenario that saw the error (or the same revision's own round trip).
//! The differences are read as the typed `schema::Change`s the steps recorded; only the
//! server's message is text (the server wrote it).

use super::entry::{At, Entry};
use crate::db::ServerError;
use crate::findings::{Kind, SchemaDifference};
use crate::schema::{Change, ObjectKind};

/// Which kind of object a schema change or a server error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    Table,
    Column,
    Index,
    ForeignKey,
    Check,
    Other(ObjectKind),
}

/// Whether an object is there too much (a leftover) or missing (dropped too early).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sign {
    Added,
    Dropped,
}

const RELATIONS: &[Object] = &[
    Object::Table,
    Object::Other(ObjectKind::View),
    Object::Other(ObjectKind::Sequence),
];

/// What an error says about an object: whether it is there too much or missing, which
/// kinds of object its words can mean, and its name (and table, when the error says).
#[derive(Debug, PartialEq, Eq)]
struct Named {
    sign: Sign,
    kinds: &'static [Object],
    name: String,
    table: Option<String>,
}

/// The object a change adds or drops: (sign, kind, table, name). A relation is its own
/// table; a modification touches nothing an error could name as missing or left over.
fn touched(c: &Change) -> Option<(Sign, Object, &str, &str)> {
    use Sign::{Added, Dropped};
    Some(match c {
        Change::AddTable { table } => (Added, Object::Table, table, table),
        Change::DropTable { table } => (Dropped, Object::Table, table, table),
        Change::AddColumn { table, column } => (Added, Object::Column, table, &column.name),
        Change::DropColumn { table, column } => (Dropped, Object::Column, table, &column.name),
        Change::AddIndex { table, index } => (Added, Object::Index, table, &index.name),
        Change::DropIndex { table, index } => (Dropped, Object::Index, table, &index.name),
        Change::AddForeignKey { table, fk } => (Added, Object::ForeignKey, table, &fk.name),
        Change::DropForeignKey { table, fk } => (Dropped, Object::ForeignKey, table, &fk.name),
        Change::AddCheck { table, name, .. } => (Added, Object::Check, table, name),
        Change::DropCheck { table, name, .. } => (Dropped, Object::Check, table, name),
        Change::AddObject { kind, name, .. } => (Added, Object::Other(*kind), name, name),
        Change::DropObject { kind, name, .. } => (Dropped, Object::Other(*kind), name, name),
        _ => return None,
    })
}

/// The first quoted name in a server message, split into (table, name) at its last dot.
fn quoted(message: &str) -> Option<(Option<String>, String)> {
    // An opening quote follows a space or starts the message (`Can't` has none).
    let mut prev = ' ';
    let (start, q) = message.char_indices().find(|&(_, c)| {
        let opens = matches!(c, '\'' | '`') && !prev.is_alphanumeric();
        prev = c;
        opens
    })?;
    let rest = &message[start + 1..];
    let end = rest.find(q)?;
    let full = &rest[..end];
    let mut parts: Vec<&str> = full.split('.').collect();
    let name = parts.pop()?.to_string();
    // `db.table` for tables, `table.column` for columns: the part before the name.
    Some((parts.pop().map(str::to_string), name))
}

fn named(e: &ServerError) -> Option<Named> {
    use Object::{Check, Column, ForeignKey, Index};
    use Sign::{Added, Dropped};
    let (qualifier, name) = quoted(&e.message)?;
    let upper = e.message.to_ascii_uppercase();
    let (sign, kinds): (Sign, &'static [Object]) = match e.code {
        1050 => (Added, RELATIONS),
        1051 | 1146 => (Dropped, RELATIONS),
        1060 => (Added, &[Column]),
        1054 => (Dropped, &[Column]),
        1061 => (Added, &[Index]),
        1826 => (Added, &[ForeignKey]),
        1091 if upper.contains("DROP INDEX") || upper.contains("DROP KEY") => (Dropped, &[Index]),
        1091 if upper.contains("DROP FOREIGN KEY") => (Dropped, &[ForeignKey]),
        1091 if upper.contains("DROP CHECK") || upper.contains("DROP CONSTRAINT") => {
            (Dropped, &[Check, ForeignKey, Index])
        }
        1091 => (Dropped, &[Column, Index, ForeignKey, Check]),
        _ => return None,
    };
    // A table error's qualifier is the database, not a table.
    let table = if kinds == RELATIONS { None } else { qualifier };
    Some(Named {
        sign,
        kinds,
        name,
        table,
    })
}

fn words_of(sql: &str) -> Vec<String> {
    sql.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Does the schema difference `d` of an earlier finding explain the error `n` of a
/// statement?
fn explains(d: &SchemaDifference, n: &Named, statement: Option<&str>) -> bool {
    let Some((sign, kind, table, name)) = touched(&d.change) else {
        return false;
    };
    if sign != n.sign || !n.kinds.contains(&kind) || !name.eq_ignore_ascii_case(&n.name) {
        return false;
    }
    match (&n.table, statement) {
        (Some(t), _) => t.eq_ignore_ascii_case(table),
        // The error does not say the table: the statement does.
        (None, Some(q)) if !RELATIONS.contains(&kind) => {
            words_of(q).contains(&table.to_lowercase())
        }
        _ => true,
    }
}

/// For each entry, the entries that caused it.
pub(super) fn causes(entries: &[Entry]) -> Vec<Vec<usize>> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut found = e.linked.clone();
            let mut add = |j: usize| {
                if j != i && !found.contains(&j) {
                    found.push(j);
                }
            };
            for (j, c) in entries.iter().enumerate() {
                if empty_for(c, e) {
                    add(j);
                }
            }
            let Some(n) = e.defect.error.as_ref().and_then(named) else {
                return found;
            };
            for (j, c) in entries.iter().enumerate() {
                let leaves = matches!(
                    c.defect.kind,
                    Kind::DowngradeLeavesSchema | Kind::HalfApplied | Kind::RoundTripFails
                );
                let lines = c
                    .defect
                    .diff
                    .iter()
                    .chain(c.defect.left_behind.iter().flat_map(|l| l.changed.iter()));
                let ordered = if c.defect.revision == e.defect.revision {
                    left_for(c, e)
                } else {
                    before_every(&c.at, &e.at)
                };
                if leaves
                    && ordered
                    && lines.clone().any(|l| {
                        explains(l, &n, e.defect.statement.as_ref().map(|q| q.sql.as_str()))
                    })
                {
                    add(j);
                }
            }
            found
        })
        .collect()
}

/// A downgrade that left the schema changed explains the same revision's upgrade failing
/// when it runs again, whichever scenario saw which.
fn left_for(cause: &Entry, effect: &Entry) -> bool {
    cause.defect.kind == Kind::DowngradeLeavesSchema
        && effect.defect.kind == Kind::RoundTripFails
        && cause.defect.revision == effect.defect.revision
}

/// An empty migration file sent as it is: the server answers 1065 (`Query was empty`), as
/// golang-migrate does (it sends every file, empty or not). The empty upgrade explains an
/// upgrade's 1065, the empty downgrade a downgrade's.
fn empty_for(cause: &Entry, effect: &Entry) -> bool {
    let direction = match effect.defect.kind {
        Kind::DowngradeFails => Kind::EmptyDowngrade,
        Kind::UpgradeFails | Kind::RoundTripFails | Kind::NotIdempotent => Kind::EmptyUpgrade,
        _ => return false,
    };
    cause.defect.kind == direction
        && cause.defect.revision == effect.defect.revision
        && effect.defect.error.as_ref().is_some_and(|e| e.code == 1065)
}

/// Every sighting of the effect has a sighting of the cause before it in the same
/// scenario: a failure also seen where the cause never ran (a revision's own round trip on
/// a fresh copy) is not its doing.
fn before_every(cause: &[At], effect: &[At]) -> bool {
    effect
        .iter()
        .all(|e| cause.iter().any(|c| c.0 == e.0 && (c.1, c.2) < (e.1, e.2)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ForeignKey, Index, IndexColumn};

    fn err(code: u16, m: &str) -> ServerError {
        ServerError {
            code,
            message: m.into(),
        }
    }

    fn column(table: &str, name: &str, added: bool) -> SchemaDifference {
        let column = Column {
            name: name.into(),
            column_type: "varchar(64)".into(),
            nullable: true,
            ..Column::default()
        };
        let table = table.to_string();
        SchemaDifference::of(if added {
            Change::AddColumn { table, column }
        } else {
            Change::DropColumn { table, column }
        })
    }

    fn index(table: &str, name: &str, added: bool) -> SchemaDifference {
        let index = Index {
            name: name.into(),
            unique: true,
            columns: vec![IndexColumn::column("api_token")],
            kind: Default::default(),
            visible: true,
        };
        let table = table.to_string();
        SchemaDifference::of(if added {
            Change::AddIndex { table, index }
        } else {
            Change::DropIndex { table, index }
        })
    }

    fn object(kind: ObjectKind, name: &str) -> SchemaDifference {
        SchemaDifference::of(Change::AddObject {
            kind,
            name: name.into(),
            definition: "select 1".into(),
        })
    }

    #[test]
    fn an_error_is_explained_only_by_the_same_object_with_the_right_sign() {
        let drop_ix = named(&err(
            1091,
            "Can't DROP INDEX `ix_user_api_token`; check that it exists",
        ))
        .unwrap();
        let blamed = SchemaDifference::created_by(
            index("user", "ix_user_api_token", false).change,
            Some("3e51".into()),
        );
        assert!(explains(
            &blamed,
            &drop_ix,
            Some("DROP INDEX ix_user_api_token ON user")
        ));
        assert!(
            !explains(&index("user", "ix_user_api_token", true), &drop_ix, None),
            "a leftover does not make a drop fail"
        );
        assert!(
            !explains(
                &index("other", "ix_user_api_token", false),
                &drop_ix,
                Some("DROP INDEX ix_user_api_token ON user")
            ),
            "another table"
        );

        // 1054 on box.extra is not explained by item.extra left over, nor dropped.
        let unknown = named(&err(1054, "Unknown column 'extra' in 'SET'")).unwrap();
        let update = Some("UPDATE box SET extra = 0");
        assert!(!explains(&column("item", "extra", true), &unknown, update));
        assert!(!explains(&column("item", "extra", false), &unknown, update));
        assert!(explains(&column("box", "extra", false), &unknown, update));

        let qualified = named(&err(1054, "Unknown column 'user.api_token' in 'SELECT'")).unwrap();
        assert_eq!(qualified.table.as_deref(), Some("user"));
        assert!(!explains(
            &column("user_old", "api_token", false),
            &qualified,
            None
        ));

        // A relation's qualifier is the database.
        let exists = named(&err(1050, "Table 'v_orders' already exists")).unwrap();
        assert!(explains(
            &object(ObjectKind::View, "v_orders"),
            &exists,
            Some("CREATE VIEW v_orders AS SELECT 1")
        ));
        assert!(
            !explains(&object(ObjectKind::Trigger, "v_orders"), &exists, None),
            "a trigger is no relation"
        );
        let gone = named(&err(1051, "Unknown table 'mh_1_1.tags'")).unwrap();
        assert_eq!((gone.name.as_str(), gone.table.as_deref()), ("tags", None));
        let drop_table = |t: &str| {
            SchemaDifference::of(Change::DropTable {
                table: t.to_string(),
            })
        };
        assert!(explains(
            &drop_table("tags"),
            &gone,
            Some("DROP TABLE tags")
        ));
        assert!(!explains(&drop_table("tags_old"), &gone, None));

        let dup = named(&err(1060, "Duplicate column name 'nickname'")).unwrap();
        assert!(explains(
            &column("account", "nickname", true),
            &dup,
            Some("ALTER TABLE account ADD COLUMN nickname VARCHAR(30)")
        ));
        assert!(named(&err(1062, "Duplicate entry '1' for key 'PRIMARY'")).is_none());
    }

    #[test]
    fn a_foreign_key_or_a_modification_is_linked_by_its_type_not_its_words() {
        let fk = ForeignKey {
            name: "fk_order_user".into(),
            columns: vec!["user_id".into()],
            ref_table: "user".into(),
            ref_columns: vec!["id".into()],
            on_update: "RESTRICT".into(),
            on_delete: "CASCADE".into(),
        };
        let dropped = SchemaDifference::of(Change::DropForeignKey {
            table: "order".into(),
            fk: fk.clone(),
        });
        let cant_drop = named(&err(
            1091,
            "Can't DROP FOREIGN KEY `fk_order_user`; check that it exists",
        ))
        .unwrap();
        assert!(explains(
            &dropped,
            &cant_drop,
            Some("ALTER TABLE `order` DROP FOREIGN KEY fk_order_user")
        ));
        // The same object changed rather than dropped leaves nothing missing.
        let modified = SchemaDifference::of(Change::ModifyForeignKey {
            table: "order".into(),
            before: fk.clone(),
            after: fk,
        });
        assert!(!explains(&modified, &cant_drop, None));
        // An index named like the key does not explain a DROP FOREIGN KEY.
        assert!(!explains(
            &index("order", "fk_order_user", false),
            &cant_drop,
            None
        ));
    }
}
