//! "Caused by": which earlier finding explains a server error. A leftover object (`+` in a
//! downgrade's diff) explains "already exists"; an object dropped too early (`-`) explains
//! "unknown" and "can't drop" — the same object, of the same kind, on the same table, seen
//! earlier in every scenario that saw the error (or the same revision's own round trip).

use super::entry::{At, Entry};
use crate::db::ServerError;
use crate::findings::Kind;

/// What an error says about an object: whether it is there too much (`+`) or missing (`-`),
/// which kinds of object its words can mean, and its name (and table, when the error says).
#[derive(Debug, PartialEq, Eq)]
struct Named {
    sign: char,
    kinds: &'static [&'static str],
    name: String,
    table: Option<String>,
}

const RELATIONS: &[&str] = &["table", "view", "sequence"];

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
    let (qualifier, name) = quoted(&e.message)?;
    let upper = e.message.to_ascii_uppercase();
    let (sign, kinds): (char, &'static [&'static str]) = match e.code {
        1050 => ('+', RELATIONS),
        1051 | 1146 => ('-', RELATIONS),
        1060 => ('+', &["column"]),
        1054 => ('-', &["column"]),
        1061 => ('+', &["index"]),
        1826 => ('+', &["foreign key"]),
        1091 if upper.contains("DROP INDEX") || upper.contains("DROP KEY") => ('-', &["index"]),
        1091 if upper.contains("DROP FOREIGN KEY") => ('-', &["foreign key"]),
        1091 if upper.contains("DROP CHECK") || upper.contains("DROP CONSTRAINT") => {
            ('-', &["check", "foreign key", "index"])
        }
        1091 => ('-', &["column", "index", "foreign key", "check"]),
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

/// A diff line as (sign, kind, table, name): `- index ix_a on user (a)` →
/// ('-', "index", "user", "ix_a"); `+ column user.api_token …` → ('+', "column", "user",
/// "api_token"); `+ view v_orders AS …` → ('+', "view", "v_orders", "v_orders").
fn parse_line(line: &str) -> Option<(char, String, String, String)> {
    let sign = line.chars().next()?;
    let words: Vec<&str> = line.get(2..)?.split_whitespace().collect();
    let dotted = |w: &str| {
        w.split_once('.')
            .map(|(t, n)| (t.to_string(), n.trim_end_matches(':').to_string()))
    };
    let (kind, table, name) = match words.as_slice() {
        ["column", tn, ..] => {
            let (t, n) = dotted(tn)?;
            ("column".to_string(), t, n)
        }
        ["index", n, "on", t, ..] => (
            "index".to_string(),
            t.trim_end_matches(':').to_string(),
            n.to_string(),
        ),
        ["primary", "key", "on", t, ..] => (
            "index".to_string(),
            t.trim_end_matches(':').to_string(),
            "PRIMARY".to_string(),
        ),
        ["foreign", "key", tn, ..] => {
            let (t, n) = dotted(tn)?;
            ("foreign key".to_string(), t, n)
        }
        ["check", tn, ..] => {
            let (t, n) = dotted(tn)?;
            ("check".to_string(), t, n)
        }
        [kind, n, ..] => {
            let n = n.trim_end_matches(':').to_string();
            (kind.to_string(), n.clone(), n)
        }
        _ => return None,
    };
    Some((sign, kind, table, name))
}

fn words_of(sql: &str) -> Vec<String> {
    sql.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Does the diff `line` of an earlier finding explain the error `n` of a statement?
fn explains(line: &str, n: &Named, statement: Option<&str>) -> bool {
    let Some((sign, kind, table, name)) = parse_line(line) else {
        return false;
    };
    if sign != n.sign || !n.kinds.contains(&kind.as_str()) || !name.eq_ignore_ascii_case(&n.name) {
        return false;
    }
    match (&n.table, statement) {
        (Some(t), _) => t.eq_ignore_ascii_case(&table),
        // The error does not say the table: the statement does.
        (None, Some(q)) if !RELATIONS.contains(&kind.as_str()) => {
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
                    && lines
                        .clone()
                        .any(|l| explains(l, &n, e.defect.statement.as_deref()))
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

    fn err(code: u16, m: &str) -> ServerError {
        ServerError {
            code,
            message: m.into(),
        }
    }

    #[test]
    fn an_error_is_explained_only_by_the_same_object_with_the_right_sign() {
        let drop_ix = named(&err(
            1091,
            "Can't DROP INDEX `ix_user_api_token`; check that it exists",
        ))
        .unwrap();
        assert!(explains(
            "- index ix_user_api_token on user (api_token) UNIQUE (created by 3e51)",
            &drop_ix,
            Some("DROP INDEX ix_user_api_token ON user")
        ));
        assert!(
            !explains(
                "+ index ix_user_api_token on user (api_token) UNIQUE",
                &drop_ix,
                None
            ),
            "a leftover does not make a drop fail"
        );
        assert!(
            !explains(
                "- index ix_user_api_token on other (x)",
                &drop_ix,
                Some("DROP INDEX ix_user_api_token ON user")
            ),
            "another table"
        );

        // 1054 on box.extra is not explained by item.extra left over, nor dropped.
        let unknown = named(&err(1054, "Unknown column 'extra' in 'SET'")).unwrap();
        assert!(!explains(
            "+ column item.extra int NULL",
            &unknown,
            Some("UPDATE box SET extra = 0")
        ));
        assert!(!explains(
            "- column item.extra int NULL",
            &unknown,
            Some("UPDATE box SET extra = 0")
        ));
        assert!(explains(
            "- column box.extra int NULL",
            &unknown,
            Some("UPDATE box SET extra = 0")
        ));

        let qualified = named(&err(1054, "Unknown column 'user.api_token' in 'SELECT'")).unwrap();
        assert_eq!(qualified.table.as_deref(), Some("user"));
        assert!(!explains(
            "- column user_old.api_token varchar(64)",
            &qualified,
            None
        ));

        // A relation's qualifier is the database.
        let exists = named(&err(1050, "Table 'v_orders' already exists")).unwrap();
        assert!(explains(
            "+ view v_orders AS select 1",
            &exists,
            Some("CREATE VIEW v_orders AS SELECT 1")
        ));
        let gone = named(&err(1051, "Unknown table 'mh_1_1.tags'")).unwrap();
        assert_eq!((gone.name.as_str(), gone.table.as_deref()), ("tags", None));
        assert!(explains("- table tags", &gone, Some("DROP TABLE tags")));
        assert!(!explains("- table tags_old", &gone, None));

        let dup = named(&err(1060, "Duplicate column name 'nickname'")).unwrap();
        assert!(explains(
            "+ column account.nickname varchar(30) NULL",
            &dup,
            Some("ALTER TABLE account ADD COLUMN nickname VARCHAR(30)")
        ));
        assert!(named(&err(1062, "Duplicate entry '1' for key 'PRIMARY'")).is_none());
    }
}
