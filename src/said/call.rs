//! A failed tool call as data — where its migration stopped, what ran before and stays
//! applied, what the call itself said, what the capture says of the migration — and its
//! wording: part of the `Run` family (`from_execution` and the half-applied measure build
//! these instead of formatting sentences).

use std::fmt;

use super::words::{Quoted, Revs, Words};
use crate::driver::{FailurePoint, StatementAt};

/// The migration call a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Upgrade,
    Downgrade,
    Stamp,
}

impl Call {
    /// The step's name, as scenario files spell it.
    pub fn name(self) -> &'static str {
        match self {
            Call::Upgrade => "upgrade",
            Call::Downgrade => "downgrade",
            Call::Stamp => "stamp",
        }
    }
}

/// Whether a failed call was the first of its kind or an upgrade again after a downgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tried {
    First,
    AgainAfterDowngrade,
}

/// A failed migration call as a defect summarises it: `upgrade of 3e51 failed: 1060 …`,
/// `upgrade of 3e51 again after its downgrade failed: …`, `downgrade failed: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub call: Call,
    pub tried: Tried,
    pub revision: Option<String>,
    /// The server's error, else the tool's last words.
    pub why: Quoted,
}

impl Words for Failed {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        let again = match self.tried {
            Tried::First => "",
            Tried::AgainAfterDowngrade => " again after its downgrade",
        };
        let call = self.call.name();
        match &self.revision {
            Some(r) => write!(f, "{call} of {}{again} failed: {}", revs.id(r), self.why),
            None => write!(f, "{call} failed: {}", self.why),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        vec![&mut self.why]
    }
}

/// A detail line of a failed call: where it stopped, or what it had already applied. The
/// statements are kept on one line, shortened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopLine {
    /// `failed at statement 2 of 3: ALTER TABLE …`
    FailedAt { at: StatementAt, statement: Quoted },
    /// A statement of the same migration that ran before and is not undone.
    StaysApplied { index: usize, statement: Quoted },
}

impl StopLine {
    /// The failing statement, then each one applied before it, in order; `one_line` puts
    /// a statement on one shortened line.
    pub fn of(p: &FailurePoint, one_line: impl Fn(&str) -> String) -> Vec<StopLine> {
        let failed = StopLine::FailedAt {
            at: p.position(),
            statement: Quoted::new(one_line(&p.statement)),
        };
        let applied = p
            .applied_before
            .iter()
            .enumerate()
            .map(|(i, a)| StopLine::StaysApplied {
                index: i + 1,
                statement: Quoted::new(one_line(a)),
            });
        std::iter::once(failed).chain(applied).collect()
    }
}

impl Words for StopLine {
    fn words(&self, f: &mut fmt::Formatter<'_>, _revs: Revs) -> fmt::Result {
        match self {
            StopLine::FailedAt { at, statement } => write!(f, "failed at {at}: {statement}"),
            StopLine::StaysApplied { index, statement } => write!(
                f,
                "statement {index} had run and stays applied (MySQL DDL commits as it goes): {statement}"
            ),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            StopLine::FailedAt { statement, .. } | StopLine::StaysApplied { statement, .. } => {
                vec![statement]
            }
        }
    }
}

/// What a failed call says on its step's line: the server's refusal (at which revision and
/// statement, when known), or the tool's exit and last words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailed {
    pub command: Quoted,
    pub how: How,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    Refused {
        /// The server's error.
        error: Quoted,
        /// The migration that failed and where in it, when the driver said.
        revision: Option<(String, Option<StatementAt>)>,
    },
    Exited {
        code: Option<i32>,
        last_line: Quoted,
    },
}

impl Words for CallFailed {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        let cmd = &self.command;
        match &self.how {
            How::Refused {
                error,
                revision: Some((r, Some(at))),
            } => write!(f, "`{cmd}` failed at {}, {at}: {error}", revs.id(r)),
            How::Refused {
                error,
                revision: Some((r, None)),
            } => write!(f, "`{cmd}` failed at {}: {error}", revs.id(r)),
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

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        let how = match &mut self.how {
            How::Refused { error, .. } => error,
            How::Exited { last_line, .. } => last_line,
        };
        vec![&mut self.command, how]
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

impl Words for Applied {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        fn of(r: &Option<String>, revs: Revs) -> &str {
            r.as_deref().map_or("the migration", |r| revs.id(r))
        }
        match self {
            Applied::Nothing { at, revision } => write!(
                f,
                "not half-applied: {at} of {} failed before any of its statements ran",
                of(revision, revs)
            ),
            Applied::Some { ran, at, revision } => write!(
                f,
                "half-applied: {ran} statement(s) of {} ran before {at} failed",
                of(revision, revs)
            ),
            Applied::Unknown => f.write_str("statement capture unavailable for this driver"),
            Applied::ToolStopped => f.write_str("no migration statement failed (the tool stopped)"),
        }
    }
}

/// The half-applied measure's first line as text, until its lines hold messages
/// (`Said::from(Applied)` is the typed way).
impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.words(f, Revs::Shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::ServerError;
    use crate::said::{Masked, Said};

    fn point(applied: &[&str], total: Option<usize>) -> FailurePoint {
        FailurePoint {
            revision: Some("3e51".into()),
            index: applied.len() + 1,
            total,
            statement: "ALTER TABLE t\n  ADD x int".into(),
            applied_before: applied.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn one_line(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_stop_says_where_and_what_stays_applied() {
        let lines: Vec<String> =
            StopLine::of(&point(&["CREATE TABLE t (id int)"], Some(3)), one_line)
                .iter()
                .map(|l| Masked::shown(l))
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
            command: Quoted::new("alembic upgrade head"),
            how: How::Refused {
                error: Quoted::new(&error),
                revision: Some(("3e51".into(), Some(point(&[], Some(2)).position()))),
            },
        };
        assert_eq!(
            Masked::shown(&refused),
            format!("`alembic upgrade head` failed at 3e51, statement 1 of 2: {error}")
        );
        assert_eq!(
            Masked(&refused).to_string(),
            format!("`alembic upgrade head` failed at ‹rev›, statement 1 of 2: {error}")
        );
        let exited = CallFailed {
            command: Quoted::new("flask db upgrade"),
            how: How::Exited {
                code: Some(1),
                last_line: Quoted::new("boom"),
            },
        };
        assert_eq!(
            Masked::shown(&exited),
            "`flask db upgrade` failed (exit 1): boom"
        );
    }

    #[test]
    fn a_summary_says_which_call_of_which_revision_failed_and_whether_again() {
        let again = Failed {
            call: Call::Upgrade,
            tried: Tried::AgainAfterDowngrade,
            revision: Some("3e51".into()),
            why: Quoted::new("1060 Duplicate column name 'x'"),
        };
        assert_eq!(
            Masked::shown(&again),
            "upgrade of 3e51 again after its downgrade failed: 1060 Duplicate column name 'x'"
        );
        let bare = Failed {
            call: Call::Downgrade,
            tried: Tried::First,
            revision: None,
            why: Quoted::new("boom"),
        };
        assert_eq!(Masked::shown(&bare), "downgrade failed: boom");
    }

    #[test]
    fn the_capture_says_whether_anything_of_the_migration_ran() {
        let nothing = Applied::of(Some(&point(&[], None)), true);
        assert_eq!(
            Masked::shown(&nothing),
            "not half-applied: statement 1 of 3e51 failed before any of its statements ran"
        );
        let some = Applied::of(Some(&point(&["a", "b"], Some(4))), true);
        assert_eq!(
            Masked::shown(&some),
            "half-applied: 2 statement(s) of 3e51 ran before statement 3 of 4 failed"
        );
        assert_eq!(
            Masked(&some).to_string(),
            "half-applied: 2 statement(s) of ‹rev› ran before statement 3 of 4 failed"
        );
        assert_eq!(Applied::of(None, false), Applied::Unknown);
        assert_eq!(Applied::of(None, true), Applied::ToolStopped);
    }

    #[test]
    fn the_server_words_a_failed_call_quotes_are_cleaned_by_the_report() {
        let s = Said::from(CallFailed {
            command: Quoted::new("alembic upgrade head"),
            how: How::Exited {
                code: Some(1),
                last_line: Quoted::new("no database mh_26112418182659_3"),
            },
        });
        let cleaned = s.map_text(|t| t.replace("mh_26112418182659_3", "‹database›"));
        assert_eq!(
            cleaned.to_string(),
            "`alembic upgrade head` failed (exit 1): no database ‹database›"
        );
        assert!(s.worded());
    }
}
