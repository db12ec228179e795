//! What each revision after the baseline changed, as typed `schema::Change`s read on a
//! clean scratch database walked one revision at a time, and what the drift fixture changed:
//! the evidence `compat::blame` reads to name the revision behind an incompatibility.

use super::super::state::ScenarioState;
use super::common::snapshot;
use crate::compat::{RevisionChanges, Subject};
use crate::driver::Target;
use crate::scenario::context::RunContext;
use crate::schema::{self, Change};

/// For a probe whose error named a bare column: the table a revision or the drift changed
/// that column of.
pub(super) fn owner(
    revisions: &[RevisionChanges],
    drift: &[Change],
    subject: &Subject,
) -> Option<String> {
    let column = subject.column()?;
    revisions
        .iter()
        .flat_map(|r| r.changes.iter())
        .chain(drift)
        .find_map(|c| match c {
            Change::AddColumn { table, column: col }
            | Change::DropColumn { table, column: col }
            | Change::ModifyColumn {
                table, after: col, ..
            } if col.name == column => Some(table.clone()),
            _ => None,
        })
}

/// Each revision after the baseline with its schema changes, on a clean scratch database
/// walked one revision at a time; and the clean baseline's snapshot.
pub(super) async fn history(
    ctx: &RunContext,
) -> Result<(Vec<RevisionChanges>, schema::Snapshot), String> {
    let name = ctx
        .server
        .create_database()
        .await
        .map_err(|e| e.to_string())?;
    let db = ctx.db(&name);
    let walked = async {
        if let Some(b) = &ctx.plan.baseline {
            let e = ctx.driver.upgrade(&db, &Target::Revision(b.clone())).await;
            if !e.ok() {
                return Err(format!("upgrade to the baseline {b} failed"));
            }
        }
        let base = snapshot(ctx, &db).await?;
        let order = ctx.plan.order();
        let start = ctx
            .plan
            .baseline
            .as_ref()
            .and_then(|b| order.iter().position(|o| o == b))
            .map_or(0, |i| i + 1);
        let end = ctx
            .plan
            .head
            .as_ref()
            .and_then(|h| order.iter().position(|o| o == h))
            .map_or(order.len(), |i| i + 1);
        let mut prev = base.clone();
        let mut out = Vec::new();
        for rev in order.get(start..end).unwrap_or(&[]) {
            let e = ctx
                .driver
                .upgrade(&db, &Target::Revision(rev.clone()))
                .await;
            if !e.ok() {
                break;
            }
            let next = snapshot(ctx, &db).await?;
            out.push(RevisionChanges {
                revision: rev.clone(),
                changes: schema::diff(&prev, &next),
            });
            prev = next;
        }
        Ok((out, base))
    }
    .await;
    let _ = ctx.server.drop_database(&name).await;
    walked
}

/// What the drift fixture changed: the clean baseline against the scenario's own.
pub(super) fn drift_of(state: &ScenarioState, clean: schema::Snapshot) -> Vec<Change> {
    match state.snapshots.get("baseline") {
        Some(drifted) => schema::diff(&clean, drifted),
        None => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    #[test]
    fn a_probes_bare_or_aliased_column_belongs_to_the_table_a_change_touched() {
        let revs = vec![RevisionChanges {
            revision: "3".into(),
            changes: vec![Change::AddColumn {
                table: "books".into(),
                column: Column {
                    name: "slug".into(),
                    ..Default::default()
                },
            }],
        }];
        let aliased = Subject::UnknownColumn {
            table: Some("b".into()),
            column: "slug".into(),
        };
        assert_eq!(owner(&revs, &[], &aliased).as_deref(), Some("books"));
        let other = Subject::UnknownColumn {
            table: None,
            column: "title".into(),
        };
        assert_eq!(owner(&revs, &[], &other), None);
    }
}
