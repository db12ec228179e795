//! JSON report: `RunSummary` as serialised (the contract of DESIGN.md §1, see docs/report-json.md).

use super::summary::RunSummary;

pub fn render_json(s: &RunSummary) -> String {
    let mut out = serde_json::to_string_pretty(s).expect("summary serialises");
    out.push('\n');
    out
}
