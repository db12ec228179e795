//! The matrix's `report.md` (also its step summary, PR comment and release notes): the
//! verdict, the divergences, the scenario × server table, each server with its peak memory
//! and a link to its own report, and every server's failures.

use super::model::{CellStatus, MatrixSummary};
use super::wording::{divergence_text, failure_lines};
use crate::report::RunStatus;

fn mark(status: CellStatus) -> &'static str {
    match status {
        CellStatus::Passed => "✅ pass",
        CellStatus::Failed => "❌ FAIL",
        CellStatus::Error => "⚠️ error",
        CellStatus::Skipped => "⏭️ skip",
        CellStatus::Missing => "— none",
    }
}

/// A server's own verdict, marked as a cell would be.
fn run_mark(status: RunStatus) -> &'static str {
    mark(match status {
        RunStatus::Passed => CellStatus::Passed,
        RunStatus::Failed => CellStatus::Failed,
        RunStatus::Error => CellStatus::Error,
        RunStatus::Skipped => CellStatus::Skipped,
    })
}

fn verdict(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Passed => "✅ **PASSED on every server**",
        RunStatus::Failed => "❌ **FAILED**",
        RunStatus::Error => "⚠️ **ERROR**",
        RunStatus::Skipped => "⚠️ **EMPTY**",
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

pub fn render_markdown(ms: &MatrixSummary) -> String {
    let m = &ms.matrix;
    let mut s = format!("# Server Matrix - {}\n\n", ms.project);
    s.push_str(&format!(
        "**Status:** {} over {} servers (exit code {})\n\n",
        verdict(m.status),
        m.servers.len(),
        m.exit_code
    ));
    s.push_str("## Divergences\n\n");
    if m.divergences.is_empty() {
        s.push_str("None: every scenario has the same outcome on every server.\n\n");
    } else {
        // Scenarios that diverge for the same reason share one line.
        let mut groups: Vec<(Vec<&str>, String)> = Vec::new();
        for d in &m.divergences {
            let text = divergence_text(d);
            match groups.iter_mut().find(|(_, s)| *s == text) {
                Some((ids, _)) => ids.push(&d.scenario),
                None => groups.push((vec![&d.scenario], text)),
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
            s.push_str(&format!(" {} |", mark(c.status)));
        }
        s.push('\n');
    }
    s.push_str("\n## Servers\n\n| Server | Asked for | Status | Peak memory: server + harness and tools | Report |\n|---|---|---|---|---|\n");
    for c in &m.servers {
        s.push_str(&format!(
            "| {} | `{}` | {} (exit {}) | {} | [servers/{}/report.md](servers/{}/report.md) |\n",
            c.name,
            c.target,
            run_mark(c.status),
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
    let failures: Vec<String> = failure_lines(m)
        .into_iter()
        .map(|l| format!("- {l}"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::matrix::fixture;

    #[test]
    fn the_markdown_has_the_verdict_divergences_table_servers_and_failures() {
        assert_eq!(
            render_markdown(&fixture()),
            "# Server Matrix - uuid-matrix

**Status:** ❌ **FAILED** over 2 servers (exit code 1)

## Divergences

- **upgrade** fails on MariaDB 10.5.23 only: 4161 at 000002 — Unknown data type: 'UUID'

## Scenario × server

| Scenario | MariaDB 10.5.23 | MariaDB 11.8.3 |
|---|---|---|
| **upgrade** Initial Upgrade | ❌ FAIL | ✅ pass |
| **chain** Migration Chain Verification | ✅ pass | ✅ pass |

## Servers

| Server | Asked for | Status | Peak memory: server + harness and tools | Report |
|---|---|---|---|---|
| MariaDB 10.5.23 | `migration-harness/mariadb:10.5` | ❌ FAIL (exit 1) | 250 MiB + 300 MiB | [servers/mariadb-10.5/report.md](servers/mariadb-10.5/report.md) |
| MariaDB 11.8.3 | `migration-harness/mariadb:11.8` | ✅ pass (exit 0) | 250 MiB + 300 MiB | [servers/mariadb-11.8/report.md](servers/mariadb-11.8/report.md) |

## Failures

- upgrade on MariaDB 10.5.23: 4161 at 000002 — Unknown data type: 'UUID'
"
        );
    }

    #[test]
    fn nothing_tested_reads_empty_and_a_server_without_report_is_listed_with_its_error() {
        let mut ms = fixture();
        ms.matrix.status = RunStatus::Skipped;
        ms.matrix.servers[1].error = Some("image not found".into());
        let md = render_markdown(&ms);
        assert!(
            md.contains("**Status:** ⚠️ **EMPTY** over 2 servers"),
            "{md}"
        );
        assert!(
            md.ends_with("## Server errors\n\n- MariaDB 11.8.3: image not found\n"),
            "{md}"
        );
    }
}
