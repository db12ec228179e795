//! MySQL/MariaDB spelling normalisation: `int(11)` = `int`, `current_timestamp()` =
//! `CURRENT_TIMESTAMP`, MariaDB's quoted defaults = MySQL's bare ones, `utf8mb3` = `utf8`,
//! SQL text without the database qualifier, auto-generated constraint names recognised.

use regex::Regex;

use super::model::ColumnDefault;
use std::sync::OnceLock;

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("regex"))
}

/// Integer display widths are noise (MySQL 8.0.19+ drops them), except `tinyint(1)`, which
/// both engines keep and which means boolean to every ORM. Keywords are lowercased but quoted
/// text (ENUM/SET labels) is kept exactly: `enum('A','a')` differs from `enum('a','a')`.
pub fn normalize_type(t: &str) -> String {
    static INT: OnceLock<Regex> = OnceLock::new();
    let t = lower_outside_quotes(t.trim()).replace("integer", "int");
    let t = re(&INT, r"\b(tinyint|smallint|mediumint|int|bigint)\((\d+)\)").replace_all(
        &t,
        |c: &regex::Captures| {
            if &c[1] == "tinyint" && &c[2] == "1" {
                "tinyint(1)".to_string()
            } else {
                c[1].to_string()
            }
        },
    );
    t.replace("utf8mb3", "utf8")
}

/// Applies `f` to the text outside single-quoted literals ('' and \' stay inside).
fn map_outside_quotes(s: &str, mut f: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut plain = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            plain.push(c);
            continue;
        }
        out.push_str(&f(&std::mem::take(&mut plain)));
        out.push('\'');
        while let Some(q) = chars.next() {
            out.push(q);
            if q == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if q == '\'' {
                if chars.peek() == Some(&'\'') {
                    out.push(chars.next().unwrap_or('\''));
                } else {
                    break;
                }
            }
        }
    }
    out.push_str(&f(&plain));
    out
}

fn lower_outside_quotes(s: &str) -> String {
    map_outside_quotes(s, |p| p.to_ascii_lowercase())
}

/// SQL text (view, trigger, routine bodies, generated expressions, checks) made comparable
/// across databases and engines: this database's qualifier removed, charset introducers
/// (MySQL's `_utf8mb4'x'`) dropped, whitespace outside literals collapsed, one pair of
/// outer parentheses removed (MySQL wraps expressions, MariaDB does not).
pub fn normalize_sql(text: &str, db: &str) -> String {
    static INTRO: OnceLock<Regex> = OnceLock::new();
    static WS: OnceLock<Regex> = OnceLock::new();
    let qualifier = format!("`{}`.", db.replace('`', "``"));
    // A segment ends where a literal starts, so an introducer is the segment's tail.
    let intro = re(&INTRO, r"_(utf8mb4|utf8mb3|utf8|latin1|binary|ascii)$");
    let ws = re(&WS, r"\s+");
    let t = map_outside_quotes(text.trim(), |p| {
        let p = p.replace(&qualifier, "");
        let p = intro.replace(&p, "");
        ws.replace_all(&p, " ").into_owned()
    });
    strip_outer_parens(t.trim()).to_string()
}

fn strip_outer_parens(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'(' || b[b.len() - 1] != b')' {
        return s;
    }
    let mut depth = 0i32;
    let mut in_q = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\'' => in_q = !in_q,
            b'(' if !in_q => depth += 1,
            b')' if !in_q => {
                depth -= 1;
                if depth == 0 && i != b.len() - 1 {
                    return s; // `(a) + (b)`: the outer pair is not one group
                }
            }
            _ => {}
        }
    }
    s[1..s.len() - 1].trim()
}

/// `SHOW CREATE …` of a routine, trigger or event without the `DEFINER=` clause (who
/// created it is not part of the schema), whitespace collapsed.
pub fn strip_definer(create: &str, db: &str) -> String {
    static DEF: OnceLock<Regex> = OnceLock::new();
    let t = re(
        &DEF,
        r"DEFINER\s*=\s*(`[^`]*`|'[^']*'|\S+)@(`[^`]*`|'[^']*'|\S+)\s*",
    )
    .replace_all(create, "");
    normalize_sql(&t, db)
}

/// Names InnoDB and the server give constraints declared without one; they count up with
/// the table's history (`t_ibfk_2` after a drop), so such constraints compare by definition.
/// MySQL: `<table>_ibfk_<n>`, `<table>_chk_<n>`; MariaDB: `<table>_ibfk_<n>` and, for a
/// table-level CHECK, `CONSTRAINT_<n>`.
pub fn is_auto_name(table: &str, name: &str) -> bool {
    let numbered = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    numbered(&format!("{table}_ibfk_"))
        || numbered(&format!("{table}_chk_"))
        || numbered("CONSTRAINT_")
}

/// The `PARTITION BY …` clause of a `SHOW CREATE TABLE`, version comments removed.
pub fn partition_clause(create: &str) -> String {
    let Some(i) = create.find("PARTITION BY") else {
        return String::new();
    };
    let t = create[i..].replace("*/", "");
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `SHOW CREATE TABLE` as sorted, trimmed lines with what depends on history rather than on
/// the schema taken out: the AUTO_INCREMENT counter, auto-generated constraint names, the
/// order of columns and keys (column order is reported separately, as a warning).
pub fn create_table_lines(create: &str, table: &str) -> Vec<String> {
    static AI: OnceLock<Regex> = OnceLock::new();
    static CONSTRAINT: OnceLock<Regex> = OnceLock::new();
    static VERSION: OnceLock<Regex> = OnceLock::new();
    let create = re(&AI, r" AUTO_INCREMENT=\d+").replace_all(create, "");
    let create = re(&VERSION, r"/\*!\d+ ?").replace_all(&create, "");
    let constraint = re(&CONSTRAINT, r"CONSTRAINT `([^`]+)`");
    let mut lines: Vec<String> = create
        .lines()
        .map(|l| {
            l.trim()
                .trim_end_matches(',')
                .replace("*/", "")
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .map(|l| {
            constraint
                .replace_all(&l, |c: &regex::Captures| {
                    if is_auto_name(table, &c[1]) {
                        "CONSTRAINT <auto>".to_string()
                    } else {
                        c[0].to_string()
                    }
                })
                .into_owned()
        })
        .collect();
    lines.sort();
    lines
}

/// Which server spelled COLUMN_DEFAULT: MariaDB (10.2.7+) quotes literals and leaves
/// expressions bare; MySQL leaves both bare and marks expressions `DEFAULT_GENERATED` in EXTRA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DefaultSpelling {
    #[default]
    Mariadb,
    Mysql,
}

/// COLUMN_DEFAULT (with EXTRA) → the default, literal or expression, spelled alike for both
/// engines: `current_timestamp()` = `CURRENT_TIMESTAMP`, MariaDB's `'abc'` = MySQL's `abc`.
pub fn normalize_default(
    d: Option<&str>,
    extra: &str,
    spelling: DefaultSpelling,
) -> Option<ColumnDefault> {
    static CT: OnceLock<Regex> = OnceLock::new();
    let d = d?.trim();
    if d.eq_ignore_ascii_case("null") {
        return None; // MariaDB spells "no default" on a nullable column as NULL
    }
    let generated = extra.to_ascii_lowercase().contains("default_generated");
    let quoted = d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'');
    let ct = re(
        &CT,
        r"(?i)^(current_timestamp|now|localtimestamp)\s*(\((\d*)\))?$",
    );
    if !quoted {
        if let Some(c) = ct.captures(d) {
            return Some(ColumnDefault::Expression(
                match c.get(3).map(|m| m.as_str()).filter(|s| !s.is_empty()) {
                    Some(p) => format!("CURRENT_TIMESTAMP({p})"),
                    None => "CURRENT_TIMESTAMP".to_string(),
                },
            ));
        }
    }
    if quoted {
        return Some(ColumnDefault::Literal(
            d[1..d.len() - 1].replace("''", "'").replace("\\\\", "\\"),
        ));
    }
    let bare_literal = match spelling {
        DefaultSpelling::Mysql => !generated,
        // MariaDB leaves only numbers and bit/hex literals unquoted among literals.
        DefaultSpelling::Mariadb => {
            let number = d.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
                && d.parse::<f64>().is_ok();
            number || d.starts_with("b'") || d.starts_with("x'")
        }
    };
    if bare_literal {
        return Some(ColumnDefault::Literal(d.to_string()));
    }
    // MySQL's SHOW CREATE wraps expressions in parentheses; information_schema may too.
    let e = if d.starts_with('(') && d.ends_with(')') {
        strip_outer_parens(d)
    } else {
        d
    };
    Some(ColumnDefault::Expression(e.to_string()))
}

pub fn normalize_extra(e: &str) -> String {
    static CT: OnceLock<Regex> = OnceLock::new();
    let e = e.to_ascii_lowercase().replace("default_generated", "");
    let e = re(&CT, r"current_timestamp\(\)").replace_all(&e, "current_timestamp");
    e.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn normalize_collation(c: Option<&str>) -> Option<String> {
    c.map(|c| c.replace("utf8mb3", "utf8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_widths_and_tinyint_bool() {
        assert_eq!(normalize_type("int(11)"), "int");
        assert_eq!(normalize_type("bigint(20) unsigned"), "bigint unsigned");
        assert_eq!(normalize_type("tinyint(1)"), "tinyint(1)");
        assert_eq!(normalize_type("tinyint(4)"), "tinyint");
        assert_eq!(normalize_type("VARCHAR(64)"), "varchar(64)");
        assert_eq!(
            normalize_type("varchar(10) character set utf8mb3"),
            "varchar(10) character set utf8"
        );
    }

    #[test]
    fn defaults_from_both_engines_agree() {
        use DefaultSpelling::{Mariadb, Mysql};
        let n = |d: &str, extra: &str, s| normalize_default(Some(d), extra, s);
        assert_eq!(
            n("current_timestamp()", "", Mariadb),
            n("CURRENT_TIMESTAMP", "DEFAULT_GENERATED", Mysql)
        );
        assert_eq!(
            n("current_timestamp(6)", "", Mariadb),
            Some(ColumnDefault::Expression("CURRENT_TIMESTAMP(6)".into()))
        );
        assert_eq!(n("'abc'", "", Mariadb), n("abc", "", Mysql));
        assert_eq!(
            n("'it''s'", "", Mariadb),
            Some(ColumnDefault::Literal("it's".into()))
        );
        assert_eq!(normalize_default(Some("NULL"), "", Mariadb), None);
        assert_eq!(n("0", "", Mariadb), n("0", "", Mysql));
        assert_eq!(
            n("0", "", Mariadb),
            Some(ColumnDefault::Literal("0".into()))
        );
        // An expression default is not a string: MariaDB leaves it bare, MySQL marks it.
        assert_eq!(
            n("uuid()", "", Mariadb),
            Some(ColumnDefault::Expression("uuid()".into()))
        );
        assert_eq!(
            n("uuid()", "", Mariadb),
            n("uuid()", "DEFAULT_GENERATED", Mysql)
        );
        assert_ne!(n("uuid()", "", Mariadb), n("'uuid()'", "", Mariadb));
        assert_eq!(
            n("uuid()", "", Mysql),
            Some(ColumnDefault::Literal("uuid()".into()))
        );
    }

    #[test]
    fn defaults_are_written_back_as_sql() {
        let sql = |d: ColumnDefault| d.sql();
        assert_eq!(sql(ColumnDefault::Literal("it's".into())), "'it''s'");
        assert_eq!(sql(ColumnDefault::Literal("12.5".into())), "12.5");
        assert_eq!(sql(ColumnDefault::Literal("inf".into())), "'inf'");
        assert_eq!(sql(ColumnDefault::Literal("b'1'".into())), "b'1'");
        assert_eq!(sql(ColumnDefault::Expression("uuid()".into())), "(uuid())");
        assert_eq!(
            sql(ColumnDefault::Expression("CURRENT_TIMESTAMP(6)".into())),
            "CURRENT_TIMESTAMP(6)"
        );
    }

    #[test]
    fn enum_and_set_labels_keep_their_case() {
        assert_eq!(
            normalize_type("ENUM('Active','active','It''s')"),
            "enum('Active','active','It''s')"
        );
        assert_ne!(
            normalize_type("enum('A','b')"),
            normalize_type("enum('a','b')")
        );
        assert_eq!(
            normalize_type("SET('X','y') CHARACTER SET utf8mb3"),
            "set('X','y') character set utf8"
        );
    }

    #[test]
    fn sql_text_loses_qualifier_introducers_and_outer_parens() {
        assert_eq!(
            normalize_sql("select `mh_1`.`t`.`id` AS `id`\n  from `mh_1`.`t`", "mh_1"),
            "select `t`.`id` AS `id` from `t`"
        );
        // MySQL 8 spells a generated column or check as `(… _utf8mb4'x' …)`.
        assert_eq!(
            normalize_sql("(concat(`a`,_utf8mb4'  x'))", "db"),
            normalize_sql("concat(`a`,'  x')", "db")
        );
        assert_eq!(
            normalize_sql("(`a` > 0) and (`b` > 0)", "db"),
            "(`a` > 0) and (`b` > 0)"
        );
    }

    #[test]
    fn definer_is_not_part_of_a_routine() {
        assert_eq!(
            strip_definer(
                "CREATE DEFINER=`root`@`%` PROCEDURE `p`()\nBEGIN SELECT 1; END",
                "db"
            ),
            strip_definer(
                "CREATE DEFINER=`app`@`localhost` PROCEDURE `p`() BEGIN SELECT 1; END",
                "db"
            )
        );
    }

    #[test]
    fn auto_names_by_engine() {
        assert!(is_auto_name("orders", "orders_ibfk_2"));
        assert!(is_auto_name("orders", "orders_chk_1"));
        assert!(is_auto_name("orders", "CONSTRAINT_1"));
        assert!(!is_auto_name("orders", "fk_orders_user"));
        assert!(!is_auto_name("orders", "order_ibfk_1"));
        assert!(!is_auto_name("orders", "orders_ibfk_"));
    }

    #[test]
    fn create_table_lines_ignore_history() {
        let a = "CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `u` int,\n  CONSTRAINT `t_ibfk_1` FOREIGN KEY (`u`) REFERENCES `u` (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=7";
        let b = "CREATE TABLE `t` (\n  `u` int,\n  `id` int NOT NULL AUTO_INCREMENT,\n  CONSTRAINT `t_ibfk_3` FOREIGN KEY (`u`) REFERENCES `u` (`id`)\n) ENGINE=InnoDB";
        assert_eq!(create_table_lines(a, "t"), create_table_lines(b, "t"));
        let c = b.replace("t_ibfk_3", "fk_named");
        assert_ne!(create_table_lines(a, "t"), create_table_lines(&c, "t"));
    }

    #[test]
    fn partition_clause_without_version_comment() {
        let mysql = "CREATE TABLE `t` (`id` int) ENGINE=InnoDB\n/*!50100 PARTITION BY HASH (`id`)\nPARTITIONS 4 */";
        let maria =
            "CREATE TABLE `t` (`id` int) ENGINE=InnoDB\n PARTITION BY HASH (`id`)\nPARTITIONS 4";
        assert_eq!(
            partition_clause(mysql),
            "PARTITION BY HASH (`id`) PARTITIONS 4"
        );
        assert_eq!(partition_clause(mysql), partition_clause(maria));
        assert_eq!(partition_clause("CREATE TABLE `t` (`id` int)"), "");
    }

    #[test]
    fn extra_spellings_agree() {
        assert_eq!(
            normalize_extra("DEFAULT_GENERATED on update CURRENT_TIMESTAMP"),
            normalize_extra("on update current_timestamp()")
        );
        assert_eq!(normalize_extra("auto_increment"), "auto_increment");
    }
}
