//! What the `release_code` step says: the release's statements run rolled back, the ones
//! not judged, the expand steps, and each incompatibility (worded by `compat`, its causing
//! revision and the server's words typed here).

use std::fmt;

use super::words::{Quoted, Revs, Words};
use crate::compat::{Cause, Incompatibility, Op, Release};

/// One statement of a release, as a line names it: `probe `slug``, `INSERT user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The probe's name, for a probe.
    pub name: Option<String>,
    pub op: Op,
    pub table: Option<String>,
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, &self.table) {
            (Some(n), _) => write!(f, "probe `{n}`"),
            (None, Some(t)) => write!(f, "{} {t}", self.op),
            (None, None) => write!(f, "{}", self.op),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compat {
    Title {
        release: Release,
    },
    /// `statements` of the release ran in one transaction, rolled back.
    RolledBack {
        statements: usize,
        release: Release,
    },
    TimedOut {
        statement: Statement,
    },
    /// A refusal that names no missing object: the made-up values may be why.
    NotJudged {
        statement: Statement,
        error: Quoted,
    },
    NoHistory {
        error: Quoted,
    },
    /// The previous release's statement fails on what the migration adds: expected.
    Expand {
        op: Op,
        table: Option<String>,
        error: Quoted,
    },
    /// The server's message is `error` (cleaned like any quote); the rest is the value's.
    Incompatible {
        incompatibility: Incompatibility,
        error: Quoted,
    },
}

impl Compat {
    pub fn incompatible(i: Incompatibility) -> Compat {
        Compat::Incompatible {
            error: Quoted::new(&i.error.message),
            incompatibility: i,
        }
    }
}

impl Words for Compat {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Compat::Title { release } => f.write_str(match release {
                Release::Previous => {
                    "the previous release's statements on this schema (rolled back)"
                }
                Release::Next => "the new release's statements on this schema (rolled back)",
            }),
            Compat::RolledBack {
                statements,
                release,
            } => write!(
                f,
                "{statements} statement(s) of the {release}, in one transaction rolled back"
            ),
            Compat::TimedOut { statement } => write!(f, "{statement}: timed out"),
            Compat::NotJudged { statement, error } => {
                write!(f, "{statement}: {error} (made-up values; not judged)")
            }
            Compat::NoHistory { error } => {
                write!(f, "cannot read the revisions' schema changes: {error}")
            }
            Compat::Expand { op, table, error } => write!(
                f,
                "{op} {}: {error} — the migration adds it; migrating first is the expand step",
                table.as_deref().unwrap_or("?")
            ),
            Compat::Incompatible {
                incompatibility,
                error,
            } => {
                // `Incompatibility`'s Display words it; the revision and the server's
                // message are put in as this rendering shows them.
                let mut i = incompatibility.clone();
                i.error.message = error.to_string();
                if let Cause::Revision { revision } = &mut i.cause {
                    *revision = revs.id(revision).to_string();
                }
                write!(f, "{i}")
            }
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Compat::NotJudged { error, .. }
            | Compat::NoHistory { error }
            | Compat::Expand { error, .. }
            | Compat::Incompatible { error, .. } => vec![error],
            Compat::Title { .. } | Compat::RolledBack { .. } | Compat::TimedOut { .. } => {
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::ServerError;
    use crate::said::{Masked, Said};

    fn dropped() -> Incompatibility {
        Incompatibility {
            code: Release::Previous,
            table: Some("user".into()),
            column: Some("nickname".into()),
            op: Op::Insert,
            error: ServerError {
                code: 1146,
                message: "Table 'mh_26112418182659_3.user' doesn't exist".into(),
            },
            cause: Cause::Revision {
                revision: "3e51".into(),
            },
        }
    }

    #[test]
    fn an_incompatibility_masks_the_revision_that_caused_it() {
        let c = Compat::incompatible(dropped());
        assert_eq!(
            Masked::shown(&c),
            "the previous release's INSERT on the new schema fails with 1146 Table 'user' \
             doesn't exist (`user.nickname`), caused by 3e51"
        );
        assert_eq!(
            Masked(&c).to_string(),
            "the previous release's INSERT on the new schema fails with 1146 Table 'user' \
             doesn't exist (`user.nickname`), caused by ‹rev›"
        );
    }

    #[test]
    fn a_statement_not_judged_has_the_servers_words_cleaned() {
        let s = Said::from(Compat::NotJudged {
            statement: Statement {
                name: Some("slug".into()),
                op: Op::Probe,
                table: None,
            },
            error: Quoted::new("1146 Table 'x' in mh_26112418182659_3"),
        });
        let cleaned = s.map_text(|t| t.replace("mh_26112418182659_3", "‹database›"));
        assert_eq!(
            cleaned.to_string(),
            "probe `slug`: 1146 Table 'x' in ‹database› (made-up values; not judged)"
        );
    }
}
