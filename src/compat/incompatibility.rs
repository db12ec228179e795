//! What an incompatibility between code and schema is: the release, the operation, the statement
//! the code sends, and the cause the server gave — wording in the Display impls.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::db::ServerError;

/// Which release's code: the one production runs today (`--since REF`, `[compat]
/// previous`) or the one under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Release {
    Previous,
    #[default]
    Next,
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Release::Previous => "previous release",
            Release::Next => "new release",
        })
    }
}

/// What a statement does: the four an ORM sends per mapped table, or a hand-written probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Insert,
    Select,
    Update,
    Delete,
    Probe,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Insert => "INSERT",
            Op::Select => "SELECT",
            Op::Update => "UPDATE",
            Op::Delete => "DELETE",
            Op::Probe => "probe",
        })
    }
}

/// What a bound value is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A column's value (INSERT, UPDATE's SET).
    Value,
    /// Part of the `WHERE` on the primary key: bound to a seeded row's key when there is one.
    Key,
}

/// One value bound to a `?` of a statement.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Param {
    pub column: String,
    pub role: Role,
    pub value: serde_json::Value,
}

/// A statement a release's code sends, as SQLAlchemy compiles it for MySQL (`?` binds).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeStatement {
    /// The mapped table; None for a probe.
    pub table: Option<String>,
    pub op: Op,
    /// The probe's name, for a probe.
    pub name: Option<String>,
    pub sql: String,
    pub params: Vec<Param>,
}

/// Why a release's model could not be read (env.py failed, no `db` in the app module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelUnavailable {
    pub reason: String,
}

impl fmt::Display for ModelUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the model could not be read: {}", self.reason)
    }
}

/// Why the schema lacks what the code needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Cause {
    /// A revision's change removed, renamed or constrained it (or created it, for the new
    /// code on the old schema).
    Revision { revision: String },
    /// The production fixture (`[baseline] setup_sql`) changed it, no migration did.
    Drift,
    /// No revision between the two schemas touches it.
    Unexplained,
}

/// One statement of one release the other release's schema refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incompatibility {
    /// Whose code ran: `previous` on the new schema, `next` on the old one.
    pub code: Release,
    pub table: Option<String>,
    pub column: Option<String>,
    pub op: Op,
    pub error: ServerError,
    pub cause: Cause,
}

impl Incompatibility {
    fn object(&self) -> String {
        match (&self.table, &self.column) {
            (Some(t), Some(c)) => format!("`{t}.{c}`"),
            (None, Some(c)) => format!("`{c}`"),
            (Some(t), None) => format!("table `{t}`"),
            (None, None) => "what it needs".into(),
        }
    }

    /// The expand/contract fix, in one line.
    pub fn fix(&self) -> Fix<'_> {
        Fix(self)
    }
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let schema = match self.code {
            Release::Previous => "the new schema",
            Release::Next => "the old schema",
        };
        write!(
            f,
            "the {}'s {} on {} fails with {} {} ({})",
            self.code,
            self.op,
            schema,
            self.error.code,
            self.error.message,
            self.object()
        )?;
        match &self.cause {
            Cause::Revision { revision } => write!(f, ", caused by {revision}"),
            Cause::Drift => f.write_str(", caused by production drift ([baseline] setup_sql)"),
            Cause::Unexplained => Ok(()),
        }
    }
}

/// `Incompatibility::fix`'s wording.
pub struct Fix<'a>(&'a Incompatibility);

impl fmt::Display for Fix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.0;
        let what = i.object();
        match (i.code, i.error.code) {
            (Release::Previous, 1364) => write!(
                f,
                "give {what} a default (or make it nullable) in this release; make it NOT NULL without a default only once no running code inserts without it"
            ),
            (Release::Previous, _) => write!(
                f,
                "ship the code that stops using {what} first; remove or change it in a later release"
            ),
            (Release::Next, _) if i.cause == Cause::Drift => write!(
                f,
                "production lacks {what}, which the migrations assume: create it there (a migration that adds it when missing) before deploying this code"
            ),
            (Release::Next, _) => write!(
                f,
                "add {what} beside the old one (expand) and release that first; the code that needs only the new shape comes after"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incompat(code: Release, err: u16, cause: Cause) -> Incompatibility {
        Incompatibility {
            code,
            table: Some("user".into()),
            column: Some("legacy_name".into()),
            op: Op::Insert,
            error: ServerError {
                code: err,
                message: "Unknown column 'legacy_name' in 'field list'".into(),
            },
            cause,
        }
    }

    #[test]
    fn a_previous_release_break_names_the_column_and_the_revision() {
        let i = incompat(
            Release::Previous,
            1054,
            Cause::Revision {
                revision: "0002".into(),
            },
        );
        let s = i.to_string();
        assert!(
            s.starts_with("the previous release's INSERT on the new schema fails with 1054"),
            "{s}"
        );
        assert!(
            s.contains("`user.legacy_name`") && s.ends_with("caused by 0002"),
            "{s}"
        );
        let fix = i.fix().to_string();
        assert!(
            fix.starts_with("ship the code that stops using `user.legacy_name` first"),
            "{fix}"
        );
    }

    #[test]
    fn the_fix_depends_on_the_direction_and_the_error() {
        let nn = incompat(Release::Previous, 1364, Cause::Unexplained)
            .fix()
            .to_string();
        assert!(nn.starts_with("give `user.legacy_name` a default"), "{nn}");
        let drift = incompat(Release::Next, 1054, Cause::Drift);
        assert!(drift
            .to_string()
            .ends_with("production drift ([baseline] setup_sql)"));
        assert!(drift.fix().to_string().starts_with("production lacks"));
        let rename = incompat(Release::Next, 1054, Cause::Unexplained)
            .fix()
            .to_string();
        assert!(rename.contains("(expand)"), "{rename}");
    }
}
