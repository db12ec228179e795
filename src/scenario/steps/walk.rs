//! The `chain` scenario's steps: graph checks, and the walk base → head → base → head with
//! a snapshot at every revision, naming the revision that created what a downgrade drops.

use std::collections::{BTreeSet, HashMap};

use super::super::result::{Status, StepResult, WarningKind};
use super::super::runner::RunContext;
use super::{from_execution, snapshot, ScenarioState, StepOutcome};
use crate::chain::Severity;
use crate::driver::{DbTarget, Target};
use crate::schema::{diff, Change, Snapshot};

pub async fn chain_checks(ctx: &RunContext, db: &DbTarget) -> StepResult {
    let report = &ctx.plan.chain;
    let n = ctx.driver.chain().revisions.len();
    let mut r = StepResult::new("chain_checks", "revision graph checks");
    r.details.push(match report.head() {
        Some(h) => format!("{n} revisions, single head {h}"),
        None => format!(
            "{n} revisions, heads: {}",
            if report.heads.is_empty() {
                "none".into()
            } else {
                report.heads.join(", ")
            }
        ),
    });
    r.details
        .push(format!("revision graph {}", ctx.driver.chain().source));
    for f in &report.findings {
        match f.severity {
            Severity::Error => r.details.push(format!("error: {}", f.message)),
            Severity::Warning => r = r.warn(WarningKind::Chain, f.message.clone()),
        }
    }
    let mut errors: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.message.clone())
        .collect();
    if !report.has_errors() {
        match ctx.driver.tool_heads(db).await {
            Some(Ok(tool)) => {
                let mine: BTreeSet<&String> = report.heads.iter().collect();
                let theirs: BTreeSet<&String> = tool.iter().collect();
                if mine == theirs {
                    r.details
                        .push(format!("the tool agrees: heads = {}", tool.join(", ")));
                } else {
                    errors.push(format!(
                        "the tool reports heads [{}] but the files say [{}]",
                        tool.join(", "),
                        report.heads.join(", ")
                    ));
                }
            }
            Some(Err(e)) => {
                r = r.warn(
                    WarningKind::Chain,
                    format!(
                        "could not ask the tool for its heads: {}",
                        e.lines().last().unwrap_or("")
                    ),
                )
            }
            None => {}
        }
    }
    if errors.is_empty() {
        r
    } else {
        r.fail(errors.join("; "))
    }
}

/// What a change drops, as a key to look up in earlier snapshots.
fn dropped_object(c: &Change) -> Option<(&'static str, String, String)> {
    match c {
        Change::DropTable { table } => Some(("table", table.clone(), String::new())),
        Change::DropColumn { table, column } => {
            Some(("column", table.clone(), column.name.clone()))
        }
        Change::DropIndex { table, index } => Some(("index", table.clone(), index.name.clone())),
        Change::DropForeignKey { table, fk } => Some(("fk", table.clone(), fk.name.clone())),
        _ => None,
    }
}

fn has(s: &Snapshot, kind: &str, table: &str, name: &str) -> bool {
    let Some(t) = s.tables.get(table) else {
        return false;
    };
    match kind {
        "table" => true,
        "column" => t.columns.contains_key(name),
        "index" => t.indexes.contains_key(name),
        _ => t.foreign_keys.contains_key(name),
    }
}

/// `- column user.api_token … (created by 3e5106ee570c)`: the first revision on the way up
/// whose schema had the object.
fn annotate(
    changes: &[Change],
    order: &[String],
    snaps: &HashMap<String, Snapshot>,
) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            let origin = dropped_object(c).and_then(|(kind, t, n)| {
                order
                    .iter()
                    .find(|r| snaps.get(*r).is_some_and(|s| has(s, kind, &t, &n)))
                    .cloned()
            });
            match origin {
                Some(r) => format!("{c} (created by {r})"),
                None => c.to_string(),
            }
        })
        .collect()
}

pub async fn walk(ctx: &RunContext, state: &mut ScenarioState) -> StepOutcome {
    let mut out = Vec::new();
    if ctx.plan.chain.has_errors() {
        out.push(
            StepResult::new("walk", "walk base → head → base → head")
                .skip("the revision graph is broken"),
        );
        return StepOutcome {
            results: out,
            skip_scenario: None,
        };
    }
    let order = ctx.plan.order().to_vec();
    let db = state.db.clone();
    let mut snaps: HashMap<String, Snapshot> = HashMap::new();
    let base = match snapshot(ctx, &db).await {
        Ok(s) => s,
        Err(e) => {
            out.push(StepResult::new("walk", "snapshot of the empty database").error(e));
            return StepOutcome {
                results: out,
                skip_scenario: None,
            };
        }
    };

    // Up, one revision at a time.
    for rev in &order {
        let e = ctx
            .driver
            .upgrade(&db, &Target::Revision(rev.clone()))
            .await;
        let mut r = from_execution(
            "upgrade",
            format!("walk up: upgrade → {rev}"),
            &e,
            Some(rev.clone()),
        );
        if r.status == Status::Passed {
            match snapshot(ctx, &db).await {
                Ok(s) => {
                    snaps.insert(rev.clone(), s);
                }
                Err(err) => r = r.error(err),
            }
        }
        let ok = r.status == Status::Passed;
        out.push(r);
        if !ok {
            return StepOutcome {
                results: out,
                skip_scenario: None,
            };
        }
    }

    // Down, one revision at a time; only discrepancies new at this step are its fault.
    let mut carried: BTreeSet<String> = BTreeSet::new();
    let mut down_ok = true;
    for (i, rev) in order.iter().enumerate().rev() {
        let (target, expected, to_name) = if i == 0 {
            (Target::Base, &base, "base".to_string())
        } else {
            (
                Target::Revision(order[i - 1].clone()),
                &snaps[&order[i - 1]],
                order[i - 1].clone(),
            )
        };
        let e = ctx.driver.downgrade(&db, &target).await;
        let mut r = from_execution(
            "downgrade",
            format!("walk down: downgrade {rev} → {to_name}"),
            &e,
            Some(rev.clone()),
        );
        r.revision = Some(rev.clone());
        if r.status != Status::Passed {
            if let Some(err) = &e.error {
                r.message = Some(format!("downgrade of {rev} failed: {err}"));
            }
            out.push(r);
            down_ok = false;
            break;
        }
        let actual = match snapshot(ctx, &db).await {
            Ok(s) => s,
            Err(err) => {
                out.push(r.error(err));
                down_ok = false;
                break;
            }
        };
        let changes = diff(expected, &actual);
        let now: BTreeSet<String> = changes.iter().map(|c| c.to_string()).collect();
        let new: Vec<Change> = changes
            .into_iter()
            .filter(|c| !carried.contains(&c.to_string()))
            .collect();
        if new.is_empty() {
            r.details.push(format!(
                "schema equals the one recorded at {to_name} on the way up"
            ));
        } else {
            r.diff = annotate(&new, &order, &snaps);
            let msg = format!(
                "downgrade of {rev} does not restore the schema of {to_name}: {}",
                r.diff.join("; ")
            );
            r = r.fail(msg);
        }
        carried = now;
        out.push(r);
    }

    // Up again, all the way, and compare with the first head.
    let mut r = StepResult::new("upgrade", "walk up again: upgrade base → head");
    if !down_ok || !carried.is_empty() {
        out.push(r.skip("the walk down did not return to a clean base"));
        return StepOutcome {
            results: out,
            skip_scenario: None,
        };
    }
    let e = ctx.driver.upgrade(&db, &Target::Head).await;
    r = from_execution(
        "upgrade",
        "walk up again: upgrade base → head".into(),
        &e,
        order.last().cloned(),
    );
    if r.status == Status::Passed {
        match snapshot(ctx, &db).await {
            Ok(s) => {
                let changes = diff(&snaps[order.last().expect("non-empty")], &s);
                if changes.is_empty() {
                    r.details.push("schema equals the first head".into());
                } else {
                    r.diff = changes.iter().map(|c| c.to_string()).collect();
                    r = r
                        .fail("the second upgrade to head gives a different schema than the first");
                }
            }
            Err(err) => r = r.error(err),
        }
    }
    out.push(r);
    StepOutcome {
        results: out,
        skip_scenario: None,
    }
}
