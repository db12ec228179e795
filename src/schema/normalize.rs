//! MySQL/MariaDB spelling normalisation: `int(11)` = `int`, `current_timestamp()` =
//! `CURRENT_TIMESTAMP`, MariaDB's quoted defaults = MySQL's bare ones, `utf8mb3` = `utf8`.

use regex::Regex;
use std::sync::OnceLock;

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("regex"))
}

/// Integer display widths are noise (MySQL 8.0.19+ drops them), except `tinyint(1)`, which
/// both engines keep and which means boolean to every ORM.
pub fn normalize_type(t: &str) -> String {
    static INT: OnceLock<Regex> = OnceLock::new();
    let t = t.trim().to_ascii_lowercase().replace("integer", "int");
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

pub fn normalize_default(d: Option<&str>) -> Option<String> {
    static CT: OnceLock<Regex> = OnceLock::new();
    let d = d?.trim();
    if d.eq_ignore_ascii_case("null") {
        return None; // MariaDB spells "no default" on a nullable column as NULL
    }
    let d = if d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'') {
        d[1..d.len() - 1].replace("''", "'").replace("\\\\", "\\")
    } else if d.len() >= 2 && d.starts_with('(') && d.ends_with(')') {
        d[1..d.len() - 1].to_string() // MySQL 8 expression defaults
    } else {
        d.to_string()
    };
    let d = re(
        &CT,
        r"(?i)^(current_timestamp|now|localtimestamp)\s*(\((\d*)\))?$",
    )
    .replace(&d, |c: &regex::Captures| {
        match c.get(3).map(|m| m.as_str()).filter(|s| !s.is_empty()) {
            Some(p) => format!("CURRENT_TIMESTAMP({p})"),
            None => "CURRENT_TIMESTAMP".to_string(),
        }
    });
    Some(d.into_owned())
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
        assert_eq!(
            normalize_default(Some("current_timestamp()")),
            normalize_default(Some("CURRENT_TIMESTAMP"))
        );
        assert_eq!(
            normalize_default(Some("current_timestamp(6)")).as_deref(),
            Some("CURRENT_TIMESTAMP(6)")
        );
        assert_eq!(
            normalize_default(Some("'abc'")),
            normalize_default(Some("abc"))
        );
        assert_eq!(normalize_default(Some("'it''s'")).as_deref(), Some("it's"));
        assert_eq!(normalize_default(Some("NULL")), normalize_default(None));
        assert_eq!(normalize_default(Some("0")).as_deref(), Some("0"));
        assert_eq!(
            normalize_default(Some("(uuid())")),
            normalize_default(Some("uuid()"))
        );
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
