//! A failed tool call as data — where its migration stopped, what ran before and stays
//! applied, what the call itself said — with the words in `Display`. `from_execution` and
//! the half-applied measure build these instead of formatting sentences, so the report's
//! wording for a failed call is changed here alone.

use std::fmt;

use super::super::result::StepAction;
use super::text::short;
use crate::db::ServerError;
use crate::driver::{FailurePoint, StatementAt};

/// Whether a failed call was the first of its kind or an upgrade again after a downgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tried {
    First,
    AgainAfterDowngrade,
}

/// A failed migration call as a defect summarises it: `upgrade of 3e51 failed: 1060 …`,
/// `upgrade of 3e51 again after its downgrade failed: …`, `downgrade failed: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failed {
    pub action: StepAction,
    pub tried: Tried,
    pub revision: Option<String>,
    /// The server's error, else the tool's last words.
    pub why: String,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let again = match self.tried {
            Tried::First => "",
            Tried::AgainAfterDowngrade => " again after its downgrade",
        };
        match &self.revision {
            Some(r) => write!(f, "{} of {r}{again} failed: {}", self.action, self.why),
            None => write!(f, "{} failed: {}", self.action, self.why),
        }
    }
}

/// A detail line of a failed call: where it stopped, or what it had already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopLine {
    /// `failed at statement 2 of 3: ALTER TABLE …`
    FailedAt { at: StatementAt, statement: String },
    /// A statement of the same migration that ran before and is not undone.
    StaysApplied { index: usize, statement: String },
}

impl StopLine {
    /// The failing statement, then each one applied before it, in order.
    pub fn of(p: &FailurePoint) -> Vec<StopLine> {
        let failed = StopLine::FailedAt {
            at: p.position(),
            statement: p.statement.clone(),
        };
        let applied = p
            .applied_before
            .iter()
            .enumerate()
            .map(|(i, a)| StopLine::StaysApplied {
                index: i + 1,
                statement: a.clone(),
            });
        std::iter::once(failed).chain(applied).collect()
    }
}

impl fmt::Display for StopLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopLine::FailedAt { at, statement } => {
                write!(f, "failed at {at}: {}", one_line(statement))
            }
            StopLine::StaysApplied { index, statement } => write!(
                f,
                "statement {index} had run and stays applied (MySQL DDL commits as it goes): {}",
                one_line(statement)
            ),
        }
    }
}

/// What a failed call says on its step's line: the server's refusal (at which revision and
/// statement, when known), or the tool's exit and last words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailed {
    pub command: String,
    pub how: How,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    Refused {
        error: ServerError,
        /// The migration that failed and where in it, when the driver said.
        revision: Option<(String, Option<StatementAt>)>,
    },
    Exited {
        code: Option<i32>,
        last_line: String,
    },
}

impl fmt::Display for CallFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cmd = &self.command;
        match &self.how {
            How::Refused {
                error,
                revision: Some((r, Some(at))),
            } => write!(f, "`{cmd}` failed at {r}, {at}: {error}"),
            How::Refused {
                error,
                revision: Some((r, None)),
            } => write!(f, "`{cmd}` failed at {r}: {error}"),
            How::Refused {
                error,
                revision: None,
            } => write!(f, "`{cmd}` failed: {error}"),
            How::Exited { code, last_line } => {
                let exit = code.map(|c| format!(" (exit {c})")).unwrap_or_default();
                write!(f, "`{cmd}` failed{exit}: {last_line}")
            }
        }
    }
}

/// What the capture says of a failed migration's statements, the half-applied measure's
/// first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The first statement failed: nothing of the migration ran.
    Nothing {
        at: StatementAt,
        revision: Option<String>,
    },
    /// `ran` statements ran before the one `at` failed.
    Some {
        ran: usize,
        at: StatementAt,
        revision: Option<String>,
    },
    /// The driver captures no statements.
    Unknown,
    /// Statements were captured and none failed: the tool stopped on its own.
    ToolStopped,
}

impl Applied {
    pub fn of(point: Option<&FailurePoint>, captured: bool) -> Applied {
        match point {
            Some(p) if p.applied_before.is_empty() => Applied::Nothing {
                at: p.position(),
                revision: p.revision.clone(),
            },
            Some(p) => Applied::Some {
                ran: p.applied_before.len(),
                at: p.position(),
                revision: p.revision.clone(),
            },
            None if !captured => Applied::Unknown,
            None => Applied::ToolStopped,
        }
    }
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let of = |r: &Option<String>| r.clone().unwrap_or_else(|| "the migration".into());
        match self {
            Applied::Nothing { at, revision } => write!(
                f,
                "not half-applied: {at} of {} failed before any of its statements ran",
                of(revision)
            ),
            Applied::Some { ran, at, revision } => write!(
                f,
                "half-applied: {ran} statement(s) of {} ran before {at} failed",
                of(revision)
            ),
            Applied::Unknown => f.write_str("statement capture unavailable for this driver"),
            Applied::ToolStopped => f.write_str("no migration statement failed (the tool stopped)"),
        }
    }
}

/// A statement on one line, shortened for a message.
fn one_line(sql: &str) -> String {
    short(sql, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(applied: &[&str], total: Option<usize>) -> FailurePoint {
        FailurePoint {
            revision: Some("3e51".into()),
            index: applied.len() + 1,
            total,
            statement: "ALTER TABLE t\n  ADD x int".into(),
            applied_before: applied.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_stop_says_where_and_what_stays_applied() {
        let lines: Vec<String> = StopLine::of(&point(&["CREATE TABLE t (id int)"], Some(3)))
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(
            lines,
            [
                "failed at statement 2 of 3: ALTER TABLE t ADD x int",
                "statement 1 had run and stays applied (MySQL DDL commits as it goes): CREATE TABLE t (id int)",
            ]
        );
    }

    #[test]
    fn a_refusal_names_the_revision_and_statement_and_an_exit_the_last_words() {
        let error = ServerError {
            code: 1060,
            message: "Duplicate column name 'x'".into(),
        };
        let refused = CallFailed {
            command: "alembic upgrade head".into(),
            how: How::Refused {
                error: error.clone(),
                revision: Some(("3e51".into(), Some(point(&[], Some(2)).position()))),
            },
        };
        assert_eq!(
            refused.to_string(),
            format!("`alembic upgrade head` failed at 3e51, statement 1 of 2: {error}")
        );
        let exited = CallFailed {
            command: "flask db upgrade".into(),
            how: How::Exited {
                code: Some(1),
                last_line: "boom".into(),
            },
        };
        assert_eq!(
            exited.to_string(),
            "`flask db upgrade` failed (exit 1): boom"
        );
    }

    #[test]
    fn a_summary_says_which_call_of_which_revision_failed_and_whether_again() {
        let again = Failed {
            action: StepAction::Upgrade,
            tried: Tried::AgainAfterDowngrade,
            revision: Some("3e51".into()),
            why: "1060 Duplicate column name 'x'".into(),
        };
        assert_eq!(
            again.to_string(),
            "upgrade of 3e51 again after its downgrade failed: 1060 Duplicate column name 'x'"
        );
        let bare = Failed {
            action: StepAction::Downgrade,
            tried: Tried::First,
            revision: None,
            why: "boom".into(),
        };
        assert_eq!(bare.to_string(), "downgrade failed: boom");
    }

    #[test]
    fn the_capture_says_whether_anything_of_the_migration_ran() {
        let nothing = Applied::of(Some(&point(&[], None)), true);
        assert_eq!(
            nothing.to_string(),
            "not half-applied: statement 1 of 3e51 failed before any of its statements ran"
        );
        let some = Applied::of(Some(&point(&["a", "b"], Some(4))), true);
        assert_eq!(
            some.to_string(),
            "half-applied: 2 statement(s) of 3e51 ran before statement 3 of 4 failed"
        );
        assert_eq!(Applied::of(None, false), Applied::Unknown);
        assert_eq!(Applied::of(None, true), Applied::ToolStopped);
    }
}
