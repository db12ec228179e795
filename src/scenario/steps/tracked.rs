//! Snapshots along a walk that re-read only the tables a step's captured statements named
//! (`schema::take_snapshot_since`): a walk takes three snapshots per revision, and reading
//! every table each time made a long chain's walk grow with the square of its length. A
//! full read is taken whenever the statements cannot say what changed (no capture, a
//! procedure call, another database). `MH_SNAPSHOT=full` turns it off; `MH_SNAPSHOT=verify`
//! takes a full snapshot beside each incremental one and fails the step if they differ.

use std::collections::BTreeSet;

use super::super::context::RunContext;
use crate::db::DbError;
use crate::driver::{DbTarget, Execution};
use crate::schema::{self, diff, Recorded, Snapshot};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Incremental,
    Full,
    Verify,
}

/// What the last snapshot of one database read and built, to start the next one from.
pub struct Tracker {
    mode: Mode,
    last: Option<Last>,
    /// Incremental snapshots compared with a full read (`MH_SNAPSHOT=verify`).
    verified: usize,
}

/// The last snapshot of `database`: the rows read and the snapshot built from them.
struct Last {
    database: String,
    recorded: Recorded,
    snapshot: Snapshot,
}

impl Tracker {
    pub fn new() -> Self {
        let mode = match std::env::var("MH_SNAPSHOT").as_deref() {
            Ok("full") => Mode::Full,
            Ok("verify") => Mode::Verify,
            _ => Mode::Incremental,
        };
        Tracker {
            mode,
            last: None,
            verified: 0,
        }
    }

    /// Under `MH_SNAPSHOT=verify`: how many incremental snapshots equalled a full read.
    pub fn verified(&self) -> Option<usize> {
        (self.mode == Mode::Verify).then_some(self.verified)
    }

    /// A snapshot of `db` after `after` ran in it (None: read everything).
    pub async fn snapshot(
        &mut self,
        ctx: &RunContext,
        db: &DbTarget,
        after: Option<&Execution>,
    ) -> Result<Snapshot, SnapshotError> {
        let mut c = db.connect().await?;
        let engine = ctx.server.engine;
        let exclude = ctx.exclude();
        let prev = self.last.take().filter(|l| l.database == db.database);
        let touched = after.and_then(touched);
        let mut incremental = false;
        let read = match (self.mode, prev, touched) {
            (Mode::Incremental | Mode::Verify, Some(prev), Some(t)) => {
                incremental = true;
                let Last {
                    recorded, snapshot, ..
                } = prev;
                schema::take_snapshot_since(
                    &mut c,
                    &db.database,
                    engine,
                    &exclude,
                    recorded,
                    snapshot,
                    &t,
                )
                .await
            }
            _ => match schema::read_all(&mut c, &db.database, engine).await {
                Ok(rec) => Ok((schema::build(&rec, &db.database, &exclude), rec)),
                Err(e) => Err(e),
            },
        };
        let checked = match (self.mode, &read) {
            (Mode::Verify, Ok((snap, _))) if incremental => {
                match schema::take_snapshot(&mut c, &db.database, engine, &exclude).await {
                    Ok(full) => {
                        let d = diff(&full, snap);
                        if d.is_empty() {
                            self.verified += 1;
                            Ok(())
                        } else {
                            Err(SnapshotError::IncrementalDiffers { changes: d })
                        }
                    }
                    Err(e) => Err(DbError::from(e).into()),
                }
            }
            _ => Ok(()),
        };
        let _ = c.disconnect().await;
        let (snap, rec) = read.map_err(DbError::from)?;
        checked?;
        if self.mode != Mode::Full {
            self.last = Some(Last {
                database: db.database.clone(),
                recorded: rec,
                snapshot: snap.clone(),
            });
        }
        Ok(snap)
    }
}

/// Why a snapshot could not be taken, or (verify mode) why it cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// `MH_SNAPSHOT=verify`: the incremental snapshot is not the full one.
    #[error("incremental snapshot differs from a full one: {}", changes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("; "))]
    IncrementalDiffers { changes: Vec<schema::Change> },
}

/// Statements whose effect their text does not show: the tables they change are unknown.
const OPAQUE: &[&str] = &[
    "CALL", "EXECUTE", "EXEC", "PREPARE", "DO", "HANDLER", "SOURCE", "LOAD", "USE",
];

/// Every name the statements mention (words and back-quoted names, as written and
/// lower-cased: MySQL's information_schema compares table names by case), or None
/// when they cannot tell: nothing was captured, or a statement hides what it does.
fn touched(e: &Execution) -> Option<BTreeSet<String>> {
    if e.statements.is_empty() {
        return None;
    }
    let mut out = BTreeSet::new();
    for st in &e.statements {
        let first = st
            .sql
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if OPAQUE.contains(&first.as_str()) {
            return None;
        }
        words(&st.sql, &mut out);
    }
    Some(out)
}

fn words(sql: &str, out: &mut BTreeSet<String>) {
    let mut add = |w: &str| {
        out.insert(w.to_lowercase());
        out.insert(w.to_string());
    };
    let mut word = String::new();
    let mut quoted = false;
    for ch in sql.chars() {
        match (quoted, ch) {
            (false, '`') | (true, '`') => {
                if !word.is_empty() {
                    add(&word);
                    word.clear();
                }
                quoted = !quoted;
            }
            (true, c) => word.push(c),
            (false, c) if c.is_alphanumeric() || c == '_' || c == '$' => word.push(c),
            (false, _) => {
                if !word.is_empty() {
                    add(&word);
                    word.clear();
                }
            }
        }
    }
    if !word.is_empty() {
        add(&word);
    }
}

/// A step that stops on this error says the error's own words.
impl From<SnapshotError> for crate::said::Said {
    fn from(e: SnapshotError) -> Self {
        crate::said::Said::raised(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{StatementOutcome, StatementRecord, StatementSource};

    fn exec(sql: &[&str]) -> Execution {
        let mut e = Execution::not_started("x".into(), String::new());
        e.statements = sql
            .iter()
            .map(|s| StatementRecord {
                revision: None,
                source: StatementSource::Migration,
                sql: s.to_string(),
                outcome: StatementOutcome::Applied,
                duration_ms: 0,
            })
            .collect();
        e
    }

    #[test]
    fn names_come_from_words_and_back_quotes_and_opaque_statements_give_up() {
        let t = touched(&exec(&[
            "ALTER TABLE `Order Items` ADD COLUMN note text",
            "RENAME TABLE a TO b2",
            "UPDATE alembic_version SET version_num='x'",
        ]))
        .unwrap();
        for n in [
            "order items",
            "Order Items",
            "a",
            "b2",
            "alembic_version",
            "note",
        ] {
            assert!(t.contains(n), "{n} missing from {t:?}");
        }
        assert!(touched(&exec(&["CALL add_columns()"])).is_none());
        assert!(touched(&exec(&[])).is_none(), "nothing captured");
    }
}
