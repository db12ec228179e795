//! What `crash_resume` says: a revision's migration stopped after each statement, the
//! deploy run again, and how each crash point ended.

use std::fmt;

use super::words::{Quoted, Revs, Words};

/// How the deploy after a crash ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterCrash {
    /// The re-run reached the clean install's schema.
    Recovers,
    /// The re-run failed with the server's error: the deploy would crash-loop.
    CrashLoops(Quoted),
    /// The tool refuses to run until someone intervenes (a dirty version): its words, and
    /// what deploying again does after the documented fix (forcing the version back).
    Blocked { tool: Quoted, after: AfterForce },
    /// The re-run succeeded but left a different schema (the differences).
    Diverges(Quoted),
    /// The harness could not set the crash up.
    NotMeasured(NotMeasured),
}

/// Why a crash point was not measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotMeasured {
    CannotStop,
    /// Stopping after statement `k` failed with the tool's output.
    StopFailed {
        k: usize,
        output: Quoted,
    },
    /// A database error of the harness (a copy, a snapshot).
    Harness(Quoted),
}

/// What deploying again does after forcing the version back to the parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterForce {
    ForceFailed,
    Recovers,
    UnlikeClean,
    /// The schema could not be read (the error).
    Unreadable(Quoted),
    /// Fails with the server's error.
    FailsWith(Quoted),
    /// Fails without a server error: the tool's output.
    Fails(Quoted),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    Title,
    RevTitle {
        rev: String,
    },
    VerdictTitle {
        rev: String,
        n: usize,
    },
    CannotCopyParent(Quoted),
    TooFewStatements {
        rev: String,
        n: usize,
    },
    NothingToStop,
    Unreachable {
        rev: String,
    },
    NoCapture,
    /// Crash point `k` of `n` and how deploying again ended.
    Point {
        k: usize,
        n: usize,
        after: AfterCrash,
    },
    /// Every crash point that does not recover (`Point`s).
    NotResumable {
        rev: String,
        problems: Vec<Resume>,
    },
    /// One line for the finding: how many of `points` do not recover, and the first.
    NotResumableCount {
        rev: String,
        failing: usize,
        points: usize,
        first: Box<Resume>,
    },
}

impl AfterForce {
    fn words(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const AFTER: &str = "after forcing the version back to the parent, deploying again";
        match self {
            AfterForce::ForceFailed => f.write_str("forcing the version back failed too"),
            AfterForce::Recovers => write!(f, "{AFTER} recovers"),
            AfterForce::UnlikeClean => {
                write!(f, "{AFTER} leaves a schema unlike a clean install")
            }
            AfterForce::Unreadable(e) => write!(f, "{e}"),
            AfterForce::FailsWith(e) => write!(f, "{AFTER} fails with {e}"),
            AfterForce::Fails(out) => write!(
                f,
                "after forcing the version back, deploying again fails: {out}"
            ),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            AfterForce::Unreadable(q) | AfterForce::FailsWith(q) | AfterForce::Fails(q) => {
                vec![q]
            }
            _ => Vec::new(),
        }
    }
}

impl AfterCrash {
    fn words(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AfterCrash::Recovers => f.write_str("deploying again recovers"),
            AfterCrash::CrashLoops(e) => write!(
                f,
                "deploying again fails with {e} (the deploy would crash-loop)"
            ),
            AfterCrash::Blocked { tool, after } => {
                write!(
                    f,
                    "the tool refuses to run again until fixed by hand: {tool}; "
                )?;
                after.words(f)
            }
            AfterCrash::Diverges(d) => write!(
                f,
                "deploying again succeeds but the schema differs from a clean install: {d}"
            ),
            AfterCrash::NotMeasured(why) => {
                f.write_str("not measured (harness limitation: ")?;
                match why {
                    NotMeasured::CannotStop => {
                        f.write_str("the driver cannot stop a migration between statements")?
                    }
                    NotMeasured::StopFailed { k, output } => {
                        write!(f, "stopping after statement {k} failed: {output}")?
                    }
                    NotMeasured::Harness(e) => write!(f, "{e}")?,
                }
                f.write_str(")")
            }
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            AfterCrash::CrashLoops(q) | AfterCrash::Diverges(q) => vec![q],
            AfterCrash::Blocked { tool, after } => {
                let mut v = vec![tool];
                v.extend(after.quoted_mut());
                v
            }
            AfterCrash::NotMeasured(
                NotMeasured::StopFailed { output: q, .. } | NotMeasured::Harness(q),
            ) => vec![q],
            AfterCrash::Recovers | AfterCrash::NotMeasured(NotMeasured::CannotStop) => Vec::new(),
        }
    }
}

impl Words for Resume {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Resume::Title => f.write_str("crash-resume: stop after each statement, deploy again"),
            Resume::RevTitle { rev } => write!(f, "crash-resume {}", revs.id(rev)),
            Resume::VerdictTitle { rev, n } => write!(
                f,
                "crash-resume {}: stop after each of its {n} statements, deploy again",
                revs.id(rev)
            ),
            Resume::CannotCopyParent(e) => write!(f, "cannot copy the parent state: {e}"),
            Resume::TooFewStatements { rev, n } => write!(
                f,
                "{} sends {n} statement(s): there is no point between statements to stop at",
                revs.id(rev)
            ),
            Resume::NothingToStop => {
                f.write_str("no revision sends more than one statement: nothing can stop half-way")
            }
            Resume::Unreachable { rev } => write!(
                f,
                "{} does not upgrade on a clean database; later revisions are not reachable",
                revs.id(rev)
            ),
            Resume::NoCapture => f.write_str("statement capture unavailable for this driver"),
            Resume::Point { k, n, after } => {
                write!(f, "crash after statement {k} of {n}: ")?;
                after.words(f)
            }
            Resume::NotResumable { rev, problems } => {
                write!(f, "{} is not resumable: ", revs.id(rev))?;
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    p.words(f, revs)?;
                }
                Ok(())
            }
            Resume::NotResumableCount {
                rev,
                failing,
                points,
                first,
            } => {
                write!(
                    f,
                    "{} is not resumable: {failing} of {points} crash points do not recover; first: ",
                    revs.id(rev)
                )?;
                first.words(f, revs)
            }
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Resume::CannotCopyParent(q) => vec![q],
            Resume::Point { after, .. } => after.quoted_mut(),
            Resume::NotResumable { problems, .. } => {
                problems.iter_mut().flat_map(|p| p.quoted_mut()).collect()
            }
            Resume::NotResumableCount { first, .. } => first.quoted_mut(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::said::{Masked, Said};

    fn loops() -> Resume {
        Resume::Point {
            k: 2,
            n: 3,
            after: AfterCrash::CrashLoops(Quoted::new(
                "1060 (42S21): Duplicate column name 'mh_0123456789ab_4.b'",
            )),
        }
    }

    #[test]
    fn a_revision_that_is_not_resumable_is_shown_and_masked() {
        let s = Resume::NotResumable {
            rev: "2".into(),
            problems: vec![loops()],
        };
        let words = "is not resumable: crash after statement 2 of 3: deploying again fails \
                     with 1060 (42S21): Duplicate column name 'b' (the deploy would crash-loop)";
        assert_eq!(Masked::shown(&s), format!("2 {words}"));
        assert_eq!(Masked(&s).to_string(), format!("‹rev› {words}"));
    }

    #[test]
    fn every_nested_quote_is_cleaned_by_map_text() {
        let s = Said::from(Resume::NotResumableCount {
            rev: "2".into(),
            failing: 2,
            points: 2,
            first: Box::new(Resume::Point {
                k: 1,
                n: 3,
                after: AfterCrash::Blocked {
                    tool: Quoted::new("Dirty database version 2. Fix and force version."),
                    after: AfterForce::FailsWith(Quoted::new("1050: Table 't' already exists")),
                },
            }),
        });
        let cleaned = s.map_text(|t| t.to_uppercase());
        assert_eq!(
            cleaned.to_string(),
            "2 is not resumable: 2 of 2 crash points do not recover; first: crash after \
             statement 1 of 3: the tool refuses to run again until fixed by hand: DIRTY \
             DATABASE VERSION 2. FIX AND FORCE VERSION.; after forcing the version back to the \
             parent, deploying again fails with 1050: TABLE 'T' ALREADY EXISTS"
        );
    }
}
