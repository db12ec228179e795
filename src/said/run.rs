//! What the runner and the steps' shared helpers say: a migration call's title, a snapshot,
//! a call that timed out or could not start, the older revisions a per-revision step left
//! out, a check switched off. A failed call's own lines are in `said/call.rs`.

use std::fmt;

use super::call::{Applied, Call, CallFailed, Failed, StopLine};
use super::common::Target;
use super::words::{Quoted, Revs, Words};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// `upgrade → head (3e51…)`
    Migrate {
        call: Call,
        target: Target,
    },
    SnapshotTitle {
        name: String,
    },
    SnapshotTaken {
        tables: usize,
        name: String,
    },
    /// A per-revision step's line for the revisions `[scenarios] per_revision = "new"` left
    /// out; `done` is what the step does to a revision (`probed`).
    OlderTitle,
    OlderLeftOut {
        left_out: usize,
        done: String,
    },
    /// The tool's command outlived the step timeout.
    CallTimedOut {
        command: Quoted,
        seconds: u64,
    },
    /// The tool's command did not start (`reason`: the system's words).
    CouldNotRun {
        command: Quoted,
        reason: Quoted,
    },
    /// A statement of the harness's own outlived the step timeout.
    KilledAtTimeout {
        seconds: u64,
    },
    /// `begin_check` of a check `key` (its harness.toml name).
    CheckTitle {
        key: &'static str,
    },
    CheckOff {
        key: &'static str,
    },
    Stop(StopLine),
    CallFailed(CallFailed),
    Failed(Failed),
    Applied(Applied),
}

impl Words for Run {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Run::Migrate { call, target } => {
                write!(f, "{} → ", call.name())?;
                target.words(f, revs)
            }
            Run::SnapshotTitle { name } => write!(f, "snapshot `{name}`"),
            Run::SnapshotTaken { tables, name } => {
                write!(f, "{tables} tables captured as `{name}`")
            }
            Run::OlderTitle => f.write_str("older revisions"),
            Run::OlderLeftOut { left_out, done } => write!(
                f,
                "{left_out} revision(s) before the revisions under test were not {done} \
                 ([scenarios] per_revision = \"new\")"
            ),
            Run::CallTimedOut { command, seconds } => {
                write!(f, "`{command}` timed out after {seconds} s and was killed")
            }
            Run::CouldNotRun { command, reason } => {
                write!(f, "`{command}` could not run: {reason}")
            }
            Run::KilledAtTimeout { seconds } => {
                write!(f, "timed out after {seconds} s and was killed")
            }
            Run::CheckTitle { key } => write!(f, "{key} check"),
            Run::CheckOff { key } => write!(
                f,
                "{key} = \"off\" in harness.toml: the steps of this check were not run"
            ),
            Run::Stop(s) => s.words(f, revs),
            Run::CallFailed(c) => c.words(f, revs),
            Run::Failed(x) => x.words(f, revs),
            Run::Applied(a) => a.words(f, revs),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Run::CallTimedOut { command, .. } => vec![command],
            Run::CouldNotRun { command, reason } => vec![command, reason],
            Run::Stop(s) => s.quoted_mut(),
            Run::CallFailed(c) => c.quoted_mut(),
            Run::Failed(x) => x.quoted_mut(),
            _ => Vec::new(),
        }
    }
}

impl From<StopLine> for Run {
    fn from(s: StopLine) -> Self {
        Run::Stop(s)
    }
}

impl From<CallFailed> for Run {
    fn from(c: CallFailed) -> Self {
        Run::CallFailed(c)
    }
}

impl From<Failed> for Run {
    fn from(x: Failed) -> Self {
        Run::Failed(x)
    }
}

impl From<Applied> for Run {
    fn from(a: Applied) -> Self {
        Run::Applied(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::said::{Masked, Said};

    #[test]
    fn a_migration_title_masks_the_revision_its_target_names() {
        let t = Run::Migrate {
            call: Call::Downgrade,
            target: Target::Baseline(Some("c682ef478e45".into())),
        };
        assert_eq!(Masked::shown(&t), "downgrade → baseline (c682ef478e45)");
        assert_eq!(Masked(&t).to_string(), "downgrade → baseline (‹rev›)");
        let word = Run::Migrate {
            call: Call::Upgrade,
            target: Target::Word("-1".into()),
        };
        assert_eq!(Masked(&word).to_string(), "upgrade → -1");
    }

    #[test]
    fn a_command_that_could_not_run_has_its_reason_cleaned() {
        let s = Said::from(Run::CouldNotRun {
            command: Quoted::new("./migrate up"),
            reason: Quoted::new("no such database mh_26112418182659_3"),
        });
        let cleaned = s.map_text(|t| t.replace("mh_26112418182659_3", "‹database›"));
        assert_eq!(
            cleaned.to_string(),
            "`./migrate up` could not run: no such database ‹database›"
        );
    }
}
