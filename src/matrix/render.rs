//! The matrix report: `report.md` (scenario × server table, divergences, links to each
//! server's own reports) and `report.json` (the matrix plus every server's full report).

use serde_json::{json, Value};

use super::fold::{Matrix, ServerRun};

fn mark(status: &str) -> &'static str {
    match status {
        "passed" => "✅ pass",
        "failed" => "❌ FAIL",
        "error" => "⚠️ error",
        "skipped" => "⏭️ skip",
        _ => "— none",
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

pub fn markdown(m: &Matrix, project: &str) -> String {
    let mut s = format!("# Server Matrix - {project}\n\n");
    s.push_str(&format!(
        "**Status:** {} over {} servers (exit code {})\n\n",
        match m.status.as_str() {
            "passed" => "✅ **PASSED on every server**".to_string(),
            "failed" => "❌ **FAILED**".to_string(),
            other => format!("⚠️ **{}**", other.to_uppercase()),
        },
        m.servers.len(),
        m.exit_code
    ));
    s.push_str("## Divergences\n\n");
    if m.divergences.is_empty() {
        s.push_str("None: every scenario has the same outcome on every server.\n\n");
    } else {
        // Scenarios that diverge for the same reason share one line.
        let mut groups: Vec<(Vec<&str>, &str)> = Vec::new();
        for d in &m.divergences {
            match groups.iter_mut().find(|(_, s)| *s == d.summary) {
                Some((ids, _)) => ids.push(&d.scenario),
                None => groups.push((vec![&d.scenario], &d.summary)),
            }
        }
        for (ids, summary) in groups {
            s.push_str(&format!("- **{}** {summary}\n", ids.join(", ")));
        }
        s.push('\n');
    }
    s.push_str("## Scenario × server\n\n| Scenario |");
    for c in &m.servers {
        s.push_str(&format!(" {} |", c.name));
    }
    s.push_str("\n|---|");
    for _ in &m.servers {
        s.push_str("---|");
    }
    s.push('\n');
    for r in &m.scenarios {
        s.push_str(&format!("| **{}** {} |", r.scenario, r.title));
        for c in &r.cells {
            s.push_str(&format!(" {} |", mark(c.status.word())));
        }
        s.push('\n');
    }
    s.push_str("\n## Servers\n\n| Server | Asked for | Status | Peak memory: server + harness and tools | Report |\n|---|---|---|---|---|\n");
    for c in &m.servers {
        s.push_str(&format!(
            "| {} | `{}` | {} (exit {}) | {} | [servers/{}/report.md](servers/{}/report.md) |\n",
            c.name,
            c.target,
            mark(&c.status),
            c.exit_code,
            match (c.peak_memory.container_kib, c.peak_memory.harness_kib) {
                (None, None) => "—".to_string(),
                (s, h) => format!(
                    "{} + {}",
                    s.map(mib).unwrap_or_else(|| "—".into()),
                    h.map(mib).unwrap_or_else(|| "—".into())
                ),
            },
            c.label,
            c.label
        ));
    }
    let failures: Vec<String> = m
        .scenarios
        .iter()
        .flat_map(|r| {
            r.cells.iter().zip(&m.servers).filter_map(move |(c, srv)| {
                c.failure
                    .as_ref()
                    .map(|f| format!("- {} on {}: {f}", r.scenario, srv.name))
            })
        })
        .collect();
    if !failures.is_empty() {
        s.push_str("\n## Failures\n\n");
        s.push_str(&failures.join("\n"));
        s.push('\n');
    }
    let errors: Vec<String> = m
        .servers
        .iter()
        .filter_map(|c| c.error.as_ref().map(|e| format!("- {}: {e}", c.name)))
        .collect();
    if !errors.is_empty() {
        s.push_str("\n## Server errors\n\n");
        s.push_str(&errors.join("\n"));
        s.push('\n');
    }
    s
}

pub fn json(m: &Matrix, runs: &[ServerRun]) -> String {
    let v: Value = json!({
        "schema_version": 1,
        "status": match m.status.as_str() {
            "passed" => "passed",
            "failed" => "failed",
            _ => "error",
        },
        "matrix": m,
        "runs": runs.iter().map(|r| json!({
            "label": r.label,
            "report": r.report.as_ref().map_or(Value::Null, |s| json!(s)),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}
