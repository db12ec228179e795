//! The migration chain section: each revision with its walk mark, the chain's verdict in the
//! tool's own words, a reference to and the chain's findings.

use crate::config::ToolKind;
use crate::findings::Place;
use crate::scenario::{Status, StepAction};

use super::super::summary::RunSummary;
use super::findings::id_ranges;
use super::text::class;

pub struct ChainLine {
    pub class: &'static str,
    pub id: String,
    pub description: String,
    pub note: String,
}

pub struct ChainSection {
    pub lines: Vec<ChainLine>,
    pub findings: Vec<String>,
    pub status: String,
}

pub fn build(summary: &RunSummary) -> ChainSection {
    ChainSection {
        lines: lines(summary),
        findings: findings(summary),
        status: status(summary),
    }
}

fn lines(summary: &RunSummary) -> Vec<ChainLine> {
    summary
        .chain
        .revisions
        .iter()
        .map(|r| ChainLine {
            class: class(r.status),
            id: r.id.clone(),
            description: r.description.clone(),
            note: if Some(&r.id) == summary.head.as_ref() {
                "← NEW (head)".into()
            } else if Some(&r.id) == summary.baseline.as_ref() {
                "← production (baseline)".into()
            } else {
                String::new()
            },
        })
        .collect()
}

/// The chain's findings are in the ranked list already: refer to them, not repeat them.
fn findings(summary: &RunSummary) -> Vec<String> {
    let walkers: Vec<&str> = summary
        .scenarios
        .iter()
        .filter(|s| {
            s.steps
                .iter()
                .any(|st| st.action == StepAction::ChainChecks)
        })
        .map(|s| s.id.as_str())
        .collect();
    let chain_ids: Vec<usize> = summary
        .findings
        .iter()
        .filter(|f| {
            f.seen_in.iter().any(|x| match &x.scenario {
                Place::GraphLoad => true,
                Place::Scenario(id) => walkers.contains(&id.as_str()),
            })
        })
        .map(|f| f.id.0)
        .collect();
    if chain_ids.is_empty() {
        vec![]
    } else {
        vec![format!(
            "{} (listed under the Test Summary)",
            id_ranges(&chain_ids)
        )]
    }
}

fn status(summary: &RunSummary) -> String {
    let n = summary.chain.revisions.len();
    // Alembic and Flask-Migrate link revisions by down_revision; SQL directories by the
    // order of their version numbers.
    let linked = match summary.tool.kind {
        ToolKind::Alembic | ToolKind::Flask => "linked by down_revision",
        ToolKind::Sqldir => "versions in order",
        ToolKind::Command => "in the order the tool lists them",
        ToolKind::Django => "in one dependency order across apps (Django MigrationLoader)",
    };
    let revisions = &summary.chain.revisions;
    if summary.chain.errors() > 0 {
        format!(
            "{n} migrations; the revision graph is broken ({} error(s))",
            summary.chain.errors()
        )
    } else if revisions.iter().any(|r| r.status == Status::Failed) {
        format!(
            "{n} migrations {linked} as one chain, but the walk base → head → base found defects"
        )
    } else if revisions.iter().all(|r| r.status == Status::Passed) {
        format!("All {n} migrations {linked} as one chain, each upgrade and downgrade verified against real schema snapshots")
    } else {
        format!("{n} migrations {linked} as one chain (the walk did not cover every revision)")
    }
}
