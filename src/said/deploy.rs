//! What the deploy rehearsal says: its title, a deploy that could not start (the app failed
//! at import), one that stopped part-way, and what could not be read after it.

use std::fmt;

use super::words::{Quoted, Revs, Words};

/// A deploy that could not start: no migration ran, the app failed first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// `app.py:54 (create_app)`: the project's own traceback frame; `None`: the app.
    pub place: Option<Quoted>,
    /// The column the app queried at import, out of the server's "Unknown column".
    pub column: Option<Quoted>,
    /// The deploy command.
    pub command: Quoted,
    /// The server's error, when there was one.
    pub error: Option<Quoted>,
}

impl Blocked {
    fn words(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deploy blocked: ")?;
        match &self.place {
            Some(p) => write!(f, "{p} ")?,
            None => f.write_str("the app ")?,
        }
        match (&self.column, &self.error) {
            (Some(col), _) => write!(f, "queries `{col}` at import")?,
            (None, Some(e)) => write!(f, "fails at import ({e})")?,
            (None, None) => f.write_str("fails at import")?,
        }
        write!(
            f,
            "; `{}` cannot start while the schema is behind the model",
            self.command
        )?;
        match &self.error {
            Some(e) => write!(f, " ({e})"),
            None => Ok(()),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        let mut out = vec![&mut self.command];
        out.extend(self.place.as_mut());
        out.extend(self.column.as_mut());
        out.extend(self.error.as_mut());
        out
    }
}

/// A deploy that stopped part-way: `deploy half-applied: `cmd` failed in 3e51 after
/// applying up to ae10 with 1060 …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partly {
    pub half_applied: bool,
    pub command: Quoted,
    /// The revision that failed; `None`: the next migration.
    pub failing: Option<String>,
    /// The revision the version table reached, when past the baseline.
    pub reached: Option<String>,
    /// The server's error, else the tool's last words.
    pub why: Quoted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deploy {
    Title {
        command: Quoted,
    },
    RanAsProcess,
    /// The native SQL-directory driver has no deploy command of its own.
    RunNatively,
    SchemaBeforeUnreadable {
        error: Quoted,
    },
    VersionUnreadable {
        error: Quoted,
    },
    SchemaAfterUnreadable {
        error: Quoted,
    },
    AllMigrated,
    /// The version table still holds the baseline (`None`: base).
    NoMigrationRan {
        baseline: Option<String>,
    },
    /// The defect's summary.
    Blocked(Blocked),
    /// The step's message: the summary and what production needs.
    BlockedVerdict(Blocked),
    /// The half-applied measure's first line for a real process.
    NotCaptured,
    Partly(Partly),
}

impl Words for Deploy {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Deploy::Title { command } => write!(f, "deploy: `{command}` as production runs it"),
            Deploy::RanAsProcess => f.write_str("ran as a real process with the project's own app"),
            Deploy::RunNatively => f.write_str(
                "the harness runs these migrations natively: the upgrade scenario is the deploy",
            ),
            Deploy::SchemaBeforeUnreadable { error } => {
                write!(f, "schema before the deploy unreadable: {error}")
            }
            Deploy::VersionUnreadable { error } => write!(f, "version table unreadable: {error}"),
            Deploy::SchemaAfterUnreadable { error } => {
                write!(f, "schema after the deploy unreadable: {error}")
            }
            Deploy::AllMigrated => f.write_str(
                "every migration ran (the version table is at head): the command failed after them",
            ),
            Deploy::NoMigrationRan { baseline } => write!(
                f,
                "no migration ran: the version table is still at the baseline {}",
                baseline.as_deref().map_or("base", |b| revs.id(b))
            ),
            Deploy::Blocked(b) => b.words(f),
            Deploy::BlockedVerdict(b) => {
                b.words(f)?;
                f.write_str(
                    ". No migration ran. Production needs a manual hot-fix first, \
                     or an app that does not query at import",
                )
            }
            Deploy::NotCaptured => f.write_str(
                "statements not captured (a real process): the schema shows what stayed applied",
            ),
            Deploy::Partly(p) => {
                let how = if p.half_applied {
                    "deploy half-applied"
                } else {
                    "deploy stopped part-way"
                };
                let rev = p
                    .failing
                    .as_deref()
                    .map_or("the next migration", |r| revs.id(r));
                write!(f, "{how}: `{}` failed in {rev}", p.command)?;
                if let Some(c) = &p.reached {
                    write!(f, " after applying up to {}", revs.id(c))?;
                }
                write!(f, " with {}", p.why)
            }
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Deploy::Title { command } => vec![command],
            Deploy::SchemaBeforeUnreadable { error }
            | Deploy::VersionUnreadable { error }
            | Deploy::SchemaAfterUnreadable { error } => vec![error],
            Deploy::Blocked(b) | Deploy::BlockedVerdict(b) => b.quoted_mut(),
            Deploy::Partly(p) => vec![&mut p.command, &mut p.why],
            Deploy::RanAsProcess
            | Deploy::RunNatively
            | Deploy::AllMigrated
            | Deploy::NoMigrationRan { .. }
            | Deploy::NotCaptured => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::said::{Masked, Said};

    #[test]
    fn a_partial_deploy_masks_the_failing_and_the_reached_revision() {
        let p = Deploy::Partly(Partly {
            half_applied: true,
            command: Quoted::new("flask db upgrade"),
            failing: Some("3e51".into()),
            reached: Some("ae10".into()),
            why: Quoted::new("1060 Duplicate column name 'x'"),
        });
        assert_eq!(
            Masked::shown(&p),
            "deploy half-applied: `flask db upgrade` failed in 3e51 after applying up to ae10 \
             with 1060 Duplicate column name 'x'"
        );
        assert_eq!(
            Masked(&p).to_string(),
            "deploy half-applied: `flask db upgrade` failed in ‹rev› after applying up to ‹rev› \
             with 1060 Duplicate column name 'x'"
        );
    }

    #[test]
    fn a_blocked_deploy_names_the_column_and_its_error_is_cleaned() {
        let b = Blocked {
            place: Some(Quoted::new("app.py:54 (create_app)")),
            column: Some(Quoted::new("user.api_token")),
            command: Quoted::new("flask db upgrade"),
            error: Some(Quoted::new(
                "1054 Unknown column 'user.api_token' in mh_26112418182659_3",
            )),
        };
        let s = Said::from(Deploy::BlockedVerdict(b));
        let cleaned = s.map_text(|t| t.replace("mh_26112418182659_3", "‹database›"));
        assert_eq!(
            cleaned.to_string(),
            "deploy blocked: app.py:54 (create_app) queries `user.api_token` at import; \
             `flask db upgrade` cannot start while the schema is behind the model \
             (1054 Unknown column 'user.api_token' in ‹database›). No migration ran. \
             Production needs a manual hot-fix first, or an app that does not query at import"
        );
    }
}
