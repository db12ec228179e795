//! Rows a query returned, as the text the server sent (NULL kept apart from any text), and
//! the rows a scenario expected: what `assert_query` compares and the report shows.

use std::fmt;

use mysql_async::Value;
use serde::{Deserialize, Deserializer, Serialize};

/// One row: each column's value as text, `None` for NULL.
pub type Row = Vec<Option<String>>;

/// A query whose rows were not the expected ones (report.json's `query`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryRows {
    pub sql: String,
    pub expected: Vec<Row>,
    pub actual: Vec<Row>,
}

/// Rows shown on a report's line at most; the rest are counted.
const SHOWN: usize = 20;

/// `[["0"], [null]]`: rows as scenario files write them, NULL as `null`.
pub fn rows_text(rows: &[Row]) -> String {
    let cell = |c: &Option<String>| match c {
        Some(t) => serde_json::to_string(t).unwrap_or_default(),
        None => "null".to_string(),
    };
    let mut parts: Vec<String> = rows
        .iter()
        .take(SHOWN)
        .map(|r| format!("[{}]", r.iter().map(cell).collect::<Vec<_>>().join(", ")))
        .collect();
    if rows.len() > SHOWN {
        parts.push(format!("… {} more row(s)", rows.len() - SHOWN));
    }
    format!("[{}]", parts.join(", "))
}

impl fmt::Display for QueryRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` returned other rows than expected — expected {} row(s): {}; actual {} row(s): {}",
            self.sql.trim(),
            self.expected.len(),
            rows_text(&self.expected),
            self.actual.len(),
            rows_text(&self.actual)
        )
    }
}

/// A value of the text protocol as text (the binary protocol's typed values too).
pub fn cell_of(v: Value) -> Option<String> {
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(x) => Some(x.to_string()),
        Value::Double(x) => Some(x.to_string()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// A cell as a scenario file may write it: text, a number or a boolean (compared as the
/// text the server sends: `true` as `1`); the string `"null"` stands for NULL, which TOML
/// cannot write.
#[derive(Deserialize)]
#[serde(untagged)]
enum Written {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl From<Written> for Option<String> {
    fn from(w: Written) -> Self {
        match w {
            Written::Text(t) if t == "null" => None,
            Written::Text(t) => Some(t),
            Written::Int(i) => Some(i.to_string()),
            Written::Float(x) => Some(x.to_string()),
            Written::Bool(b) => Some(if b { "1" } else { "0" }.to_string()),
        }
    }
}

/// `rows = [["0"], [1, "null"]]` from a scenario file.
pub fn written_rows<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Row>, D::Error> {
    let rows: Vec<Vec<Written>> = Vec::deserialize(d)?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_iter().map(Option::from).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        #[serde(deserialize_with = "written_rows")]
        rows: Vec<Row>,
    }

    #[test]
    fn a_file_writes_text_numbers_booleans_and_null() {
        let f: File = toml::from_str(r#"rows = [["0"], [1, "null", true]]"#).unwrap();
        assert_eq!(
            f.rows,
            vec![
                vec![Some("0".to_string())],
                vec![Some("1".to_string()), None, Some("1".to_string())],
            ]
        );
    }

    #[test]
    fn the_server_sends_null_apart_from_text() {
        assert_eq!(cell_of(Value::NULL), None);
        assert_eq!(cell_of(Value::Bytes(b"null".to_vec())), Some("null".into()));
        assert_eq!(cell_of(Value::Int(-3)), Some("-3".into()));
    }

    #[test]
    fn a_mismatch_shows_both_row_sets() {
        let m = QueryRows {
            sql: "SELECT count(*) FROM user WHERE api_token IS NULL".into(),
            expected: vec![vec![Some("0".into())]],
            actual: vec![vec![Some("3".into())], vec![None]],
        };
        assert_eq!(
            m.to_string(),
            "`SELECT count(*) FROM user WHERE api_token IS NULL` returned other rows than \
             expected — expected 1 row(s): [[\"0\"]]; actual 2 row(s): [[\"3\"], [null]]"
        );
    }
}
