//! `Subject`: the object a server error names (the server's own message is the only place
//! it is written), read once here into data: `1054 Unknown column 'user.api_token'` → the
//! column `api_token` of `user`.

use crate::db::ServerError;

/// What a refused statement lacked on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// 1054: a column the statement names does not exist (`table` when the server said it).
    UnknownColumn {
        table: Option<String>,
        column: String,
    },
    /// 1364: a NOT NULL column without a default the INSERT did not set.
    NoDefault { column: String },
    /// 1146: the table does not exist.
    UnknownTable { table: String },
    /// 1048, 1265, 1366, 1406: a value the column's new definition refuses.
    Refused { column: String },
}

impl Subject {
    /// Reads the object out of the server's message, for the codes that mean the schema
    /// and the code disagree; None for any other error (a duplicate key of a made-up
    /// value is no incompatibility).
    pub fn of(e: &ServerError) -> Option<Subject> {
        let quoted = first_quoted(&e.message)?;
        match e.code {
            1054 => Some(match quoted.rsplit_once('.') {
                Some((t, c)) => Subject::UnknownColumn {
                    table: Some(t.rsplit('.').next().unwrap_or(t).to_string()),
                    column: c.to_string(),
                },
                None => Subject::UnknownColumn {
                    table: None,
                    column: quoted,
                },
            }),
            1364 => Some(Subject::NoDefault { column: quoted }),
            1146 => Some(Subject::UnknownTable {
                table: quoted.rsplit('.').next().unwrap_or(&quoted).to_string(),
            }),
            1048 | 1265 | 1366 | 1406 => Some(Subject::Refused {
                column: last_column(&e.message).unwrap_or(quoted),
            }),
            _ => None,
        }
    }

    pub fn table(&self) -> Option<&str> {
        match self {
            Subject::UnknownColumn { table, .. } => table.as_deref(),
            Subject::UnknownTable { table } => Some(table),
            _ => None,
        }
    }

    pub fn column(&self) -> Option<&str> {
        match self {
            Subject::UnknownColumn { column, .. }
            | Subject::NoDefault { column }
            | Subject::Refused { column } => Some(column),
            Subject::UnknownTable { .. } => None,
        }
    }
}

fn first_quoted(msg: &str) -> Option<String> {
    let start = msg.find('\'')? + 1;
    let len = msg[start..].find('\'')?;
    Some(msg[start..start + len].to_string())
}

/// `Data truncated for column 'status' at row 1`: the column is the quoted word after
/// "column" (1265/1366 quote the value first).
fn last_column(msg: &str) -> Option<String> {
    let at = msg.find("column '")? + "column ".len();
    first_quoted(&msg[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: u16, message: &str) -> ServerError {
        ServerError {
            code,
            message: message.into(),
        }
    }

    #[test]
    fn reads_the_column_the_server_names() {
        assert_eq!(
            Subject::of(&err(
                1054,
                "Unknown column 'user.api_token' in 'field list'"
            )),
            Some(Subject::UnknownColumn {
                table: Some("user".into()),
                column: "api_token".into()
            })
        );
        assert_eq!(
            Subject::of(&err(1054, "Unknown column 'legacy_name' in 'field list'")),
            Some(Subject::UnknownColumn {
                table: None,
                column: "legacy_name".into()
            })
        );
        assert_eq!(
            Subject::of(&err(1364, "Field 'email' doesn't have a default value")),
            Some(Subject::NoDefault {
                column: "email".into()
            })
        );
        let t = Subject::of(&err(1146, "Table 'mh_1_2.tags' doesn't exist")).unwrap();
        assert_eq!(t.table(), Some("tags"));
        let r = Subject::of(&err(
            1366,
            "Incorrect integer value: 'x' for column 'n' at row 1",
        ));
        assert_eq!(r.unwrap().column(), Some("n"));
    }

    #[test]
    fn other_errors_are_no_incompatibility() {
        assert_eq!(
            Subject::of(&err(1062, "Duplicate entry 'a' for key 'u'")),
            None
        );
        assert_eq!(Subject::of(&err(1054, "no quotes")), None);
    }
}
