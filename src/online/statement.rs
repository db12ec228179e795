//! What a migration statement is, read from its leading words: an ALTER the ALGORITHM/LOCK
//! clauses apply to (and its table), a CREATE/DROP/RENAME TABLE that only touches metadata,
//! or something else (data, views, routines) that is run but not classified.

use super::Attempt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementKind {
    /// `ALTER TABLE t …`, `CREATE INDEX … ON t`, `DROP INDEX … ON t`: probed.
    Alter {
        table: String,
        form: ClauseForm,
    },
    CreateTable {
        table: String,
    },
    DropTable {
        table: String,
    },
    RenameTable {
        table: String,
    },
    /// Not a change of a table's definition.
    Other,
}

/// How the clause joins the statement: `ALTER TABLE t …, ALGORITHM=X` takes a comma,
/// `CREATE INDEX … ALGORITHM=X LOCK=Y` takes spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClauseForm {
    AlterList,
    IndexOption,
}

/// One word or back-quoted name: upper-cased for keywords, as written for names.
#[derive(Debug)]
struct Tok {
    upper: String,
    text: String,
    quoted: bool,
}

/// Words and back-quoted names; comments skipped.
fn tokens(sql: &str, max: usize) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() && out.len() < max {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '-' && next == Some('-') || c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '`' {
            let start = i + 1;
            i = start;
            while i < chars.len() && chars[i] != '`' {
                i += 1;
            }
            let text: String = chars[start..i.min(chars.len())].iter().collect();
            out.push(Tok {
                upper: text.to_ascii_uppercase(),
                text,
                quoted: true,
            });
            i += 1;
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '$')) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Tok {
                upper: text.to_ascii_uppercase(),
                text,
                quoted: false,
            });
        } else if c == '.' {
            out.push(Tok {
                upper: ".".into(),
                text: ".".into(),
                quoted: false,
            });
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// The table name at `i` as written, skipping a database qualifier.
fn name_at(toks: &[Tok], i: usize) -> Option<String> {
    let mut i = i;
    if toks.get(i + 1).is_some_and(|t| t.upper == "." && !t.quoted) {
        i += 2;
    }
    toks.get(i)
        .filter(|t| t.text != ".")
        .map(|t| t.text.clone())
}

fn skip(toks: &[Tok], mut i: usize, words: &[&str]) -> usize {
    while toks
        .get(i)
        .is_some_and(|t| !t.quoted && words.contains(&t.upper.as_str()))
    {
        i += 1;
    }
    i
}

pub fn classify(sql: &str) -> StatementKind {
    let toks = tokens(sql, 16);
    let word = |i: usize| toks.get(i).filter(|t| !t.quoted).map(|t| t.upper.as_str());
    let found = |i: usize| name_at(&toks, i);
    match (word(0), word(1)) {
        (Some("ALTER"), _) => {
            let i = skip(&toks, 1, &["ONLINE", "IGNORE"]);
            if word(i) != Some("TABLE") {
                return StatementKind::Other;
            }
            let i = skip(&toks, i + 1, &["IF", "EXISTS"]);
            found(i).map_or(StatementKind::Other, |table| StatementKind::Alter {
                table,
                form: ClauseForm::AlterList,
            })
        }
        (Some("CREATE" | "DROP"), _) if index_statement(&toks) => {
            let on = toks.iter().position(|t| !t.quoted && t.upper == "ON");
            on.and_then(|i| found(i + 1))
                .map_or(StatementKind::Other, |table| StatementKind::Alter {
                    table,
                    form: ClauseForm::IndexOption,
                })
        }
        (Some("CREATE"), _) => {
            let i = skip(&toks, 1, &["OR", "REPLACE", "TEMPORARY"]);
            if word(i) != Some("TABLE") {
                return StatementKind::Other;
            }
            let i = skip(&toks, i + 1, &["IF", "NOT", "EXISTS"]);
            found(i).map_or(StatementKind::Other, |table| StatementKind::CreateTable {
                table,
            })
        }
        (Some("DROP"), _) => {
            let i = skip(&toks, 1, &["TEMPORARY"]);
            if word(i) != Some("TABLE") {
                return StatementKind::Other;
            }
            let i = skip(&toks, i + 1, &["IF", "EXISTS"]);
            found(i).map_or(StatementKind::Other, |table| StatementKind::DropTable {
                table,
            })
        }
        (Some("RENAME"), Some("TABLE")) => found(2).map_or(StatementKind::Other, |table| {
            StatementKind::RenameTable { table }
        }),
        _ => StatementKind::Other,
    }
}

/// `CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX` or `DROP INDEX`.
fn index_statement(toks: &[Tok]) -> bool {
    let i = skip(toks, 1, &["UNIQUE", "FULLTEXT", "SPATIAL", "OR", "REPLACE"]);
    toks.get(i).is_some_and(|t| !t.quoted && t.upper == "INDEX")
}

/// The statement with `attempt`'s clause appended (a trailing `;` dropped).
pub fn with_clause(sql: &str, form: ClauseForm, attempt: Attempt) -> String {
    let body = sql.trim_end().trim_end_matches(';').trim_end();
    match form {
        ClauseForm::AlterList => format!("{body}, {attempt}"),
        ClauseForm::IndexOption => format!("{body} {}", attempt.to_string().replace(',', "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::online::{Algorithm, Lock};

    fn alter(t: &str, form: ClauseForm) -> StatementKind {
        StatementKind::Alter {
            table: t.into(),
            form,
        }
    }

    #[test]
    fn alters_and_index_statements_are_probed_on_their_table() {
        use ClauseForm::*;
        assert_eq!(
            classify("ALTER TABLE orders ADD COLUMN note text"),
            alter("orders", AlterList)
        );
        assert_eq!(
            classify("-- widen\nalter table `shop`.`Order Items` modify qty bigint;"),
            alter("Order Items", AlterList)
        );
        assert_eq!(classify("ALTER TABLE a ADD b int"), alter("a", AlterList));
        assert_eq!(
            classify("ALTER ONLINE IGNORE TABLE IF EXISTS Orders DROP x"),
            alter("Orders", AlterList)
        );
        assert_eq!(
            classify("CREATE UNIQUE INDEX ix_a ON orders (a)"),
            alter("orders", IndexOption)
        );
        assert_eq!(
            classify("DROP INDEX ix_a ON `orders`"),
            alter("orders", IndexOption)
        );
    }

    #[test]
    fn table_creation_dropping_and_renaming_are_metadata_and_the_rest_is_other() {
        assert_eq!(
            classify("CREATE TABLE IF NOT EXISTS audit (id int)"),
            StatementKind::CreateTable {
                table: "audit".into()
            }
        );
        assert_eq!(
            classify("DROP TABLE IF EXISTS `audit`"),
            StatementKind::DropTable {
                table: "audit".into()
            }
        );
        assert_eq!(
            classify("RENAME TABLE a TO b"),
            StatementKind::RenameTable { table: "a".into() }
        );
        for other in [
            "INSERT INTO orders VALUES (1)",
            "UPDATE alembic_version SET version_num='x'",
            "CREATE VIEW v AS SELECT 1",
            "DROP TRIGGER t",
            "ALTER VIEW v AS SELECT 2",
            "",
        ] {
            assert_eq!(classify(other), StatementKind::Other, "{other}");
        }
    }

    #[test]
    fn the_clause_joins_an_alter_list_with_a_comma_and_an_index_statement_with_spaces() {
        let a = Attempt {
            algorithm: Algorithm::Inplace,
            lock: Some(Lock::None),
        };
        assert_eq!(
            with_clause("ALTER TABLE t ADD x int;\n", ClauseForm::AlterList, a),
            "ALTER TABLE t ADD x int, ALGORITHM=INPLACE, LOCK=NONE"
        );
        assert_eq!(
            with_clause("CREATE INDEX ix ON t (x)", ClauseForm::IndexOption, a),
            "CREATE INDEX ix ON t (x) ALGORITHM=INPLACE LOCK=NONE"
        );
    }
}
