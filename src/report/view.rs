//! `ReportView`: what the human reports show, derived from a `RunSummary` — section texts,
//! confidence ratings, GO / NO-GO, recommendations, the chain diagram and the timeline.
//! Nothing here is hard-coded praise: every line comes from a result.

use crate::scenario::model::Aspect as Covers;
use crate::scenario::{ScenarioResult, Start, Status};

use super::summary::{RunStatus, RunSummary};

pub struct SummaryRow {
    pub number: usize,
    pub title: String,
    pub mark: &'static str,
    pub word: &'static str,
    pub details: String,
}

pub struct StepLine {
    pub mark: &'static str,
    pub title: String,
    pub seconds: String,
    pub message: Option<String>,
    pub details: Vec<String>,
}

pub struct Section {
    pub number: usize,
    pub id: String,
    pub title: String,
    pub mark: &'static str,
    pub word: &'static str,
    pub status_class: &'static str,
    pub command: Option<String>,
    pub from: String,
    pub to: String,
    pub log: String,
    pub steps: Vec<StepLine>,
    pub diff: Vec<String>,
    pub data_loss: Vec<String>,
    pub quoted_error: Option<String>,
    pub reason: Option<String>,
    pub warnings: Vec<String>,
    pub seconds: String,
    pub database: String,
}

pub struct ChainLine {
    pub mark: &'static str,
    pub id: String,
    pub description: String,
    pub note: String,
}

pub struct Aspect {
    pub name: &'static str,
    pub stars: String,
    pub notes: String,
}

pub struct Bar {
    pub y: u32,
    pub x: f64,
    pub width: f64,
    pub class: &'static str,
    pub tip: String,
}

pub struct ReportView {
    pub head: String,
    pub date: String,
    pub tester: String,
    pub status_mark: &'static str,
    pub status_text: String,
    pub go: bool,
    pub rows: Vec<SummaryRow>,
    pub sections: Vec<Section>,
    pub chain: Vec<ChainLine>,
    pub chain_findings: Vec<String>,
    pub chain_status: String,
    pub mermaid: String,
    pub confidence: Vec<Aspect>,
    pub prerequisites: Vec<String>,
    pub deploy_steps: Vec<String>,
    pub blockers: Vec<String>,
    pub rollback_note: String,
    pub rollback_steps: Vec<String>,
    pub environment: Vec<(String, String)>,
    pub conclusion: Vec<String>,
    pub bars: Vec<Bar>,
    pub timeline_height: u32,
    pub timeline_scale: String,
}

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

fn class(st: Status) -> &'static str {
    match st {
        Status::Passed => "pass",
        Status::Failed => "fail",
        Status::Skipped => "skip",
        Status::Error => "error",
    }
}

/// Python tracebacks shrink to their last frame and the exception line: the frames of
/// SQLAlchemy and PyMySQL tell a release manager nothing.
fn condense(log: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut frames = 0usize;
    let mut in_tb = false;
    for line in log.lines() {
        if line.starts_with("Traceback (most recent call last)") {
            in_tb = true;
            frames = 0;
            out.push(line.to_string());
            continue;
        }
        if in_tb && (line.starts_with(' ') || line.trim().is_empty()) {
            frames += 1;
            continue;
        }
        if in_tb {
            in_tb = false;
            if frames > 0 {
                out.push(format!("  [… {frames} traceback lines omitted …]"));
            }
        }
        out.push(line.to_string());
    }
    out.join("\n")
}

/// Keeps the last `n` lines of a log: the end is where the failure is.
fn tail_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    if lines.len() <= n {
        return s.to_string();
    }
    format!(
        "[… {} earlier lines omitted …]\n{}",
        lines.len() - n,
        lines[lines.len() - n..].join("\n")
    )
}

fn section(n: usize, s: &ScenarioResult, summary: &RunSummary) -> Section {
    let main_steps: Vec<&crate::scenario::StepResult> = s
        .steps
        .iter()
        .filter(|st| !st.title.starts_with("prepare:"))
        .collect();
    let command = main_steps.iter().find_map(|st| st.command.clone());
    let mut log = String::new();
    for st in &main_steps {
        if let Some(l) = &st.log {
            let l: Vec<&str> = l.lines().filter(|x| !x.trim().is_empty()).collect();
            if let Some(c) = &st.command {
                log.push_str(&format!("$ {c}\n"));
            }
            log.push_str(&tail_lines(&condense(&l.join("\n")), 25));
            log.push('\n');
        }
    }
    let head = summary.head.clone().unwrap_or_default();
    let baseline = summary.baseline.clone().unwrap_or_else(|| "base".into());
    let (from, to) = match (s.start, s.aspect) {
        (Start::Empty, _) => ("base".to_string(), head),
        (Start::Baseline, Some(Covers::Rollback)) => (head, baseline),
        (Start::Baseline, _) => (baseline, head),
    };
    // A passed step that carries a server error expected it (e.g. 1054 after rollback).
    let expected_error = s
        .steps
        .iter()
        .find(|st| st.status == Status::Passed && st.error.is_some());
    let quoted_error = if s.status == Status::Passed {
        expected_error
            .and_then(|st| st.error.as_ref())
            .map(|e| format!("({}, \"{}\")", e.code, e.message))
    } else {
        s.first_problem()
            .and_then(|p| p.error.as_ref())
            .map(|e| format!("({}, \"{}\")", e.code, e.message))
    };
    Section {
        number: n,
        id: s.id.clone(),
        title: s.title.clone(),
        mark: s.status.mark(),
        word: s.status.word(),
        status_class: class(s.status),
        command,
        from,
        to,
        log: log.trim_end().to_string(),
        steps: s
            .steps
            .iter()
            .map(|st| StepLine {
                mark: st.status.mark(),
                title: st.title.clone(),
                seconds: secs(st.duration_ms),
                message: st.message.clone(),
                details: st.details.clone(),
            })
            .collect(),
        diff: s
            .steps
            .iter()
            .flat_map(|st| st.diff.iter().cloned())
            .collect(),
        data_loss: s
            .steps
            .iter()
            .flat_map(|st| st.data_loss.iter().map(|d| d.to_string()))
            .collect(),
        quoted_error,
        reason: s.reason.clone(),
        warnings: s.warnings.iter().map(|w| w.to_string()).collect(),
        seconds: secs(s.duration_ms),
        database: s.database.clone().unwrap_or_else(|| "—".into()),
    }
}

fn stars(st: Option<Status>, warnings: bool) -> (String, u8) {
    let n = match (st, warnings) {
        (Some(Status::Passed), false) => 5,
        (Some(Status::Passed), true) => 4,
        (Some(Status::Failed), _) => 1,
        _ => 0,
    };
    let s = if n == 0 {
        "— not rated".to_string()
    } else {
        format!("{}{}", "⭐".repeat(n as usize), "☆".repeat(5 - n as usize))
    };
    (s, n)
}

fn aspect(summary: &RunSummary, name: &'static str, covers: Option<Covers>) -> Aspect {
    let all: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| covers.is_none() || s.aspect == covers)
        .collect();
    let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    let results: Vec<&ScenarioResult> = all
        .into_iter()
        .filter(|s| s.status != Status::Skipped)
        .collect();
    let worst = results.iter().map(|s| s.status).max_by_key(|s| match s {
        Status::Passed => 0,
        Status::Skipped => 1,
        Status::Failed => 2,
        Status::Error => 3,
    });
    let warnings = results.iter().any(|s| !s.warnings.is_empty());
    let (stars, _) = stars(worst, warnings);
    let notes = match worst {
        None => "not tested in this run".to_string(),
        Some(Status::Passed) if warnings => format!("passed with warnings ({})", ids.join(", ")),
        Some(Status::Passed) => format!("passed: {}", ids.join(", ")),
        Some(_) => results
            .iter()
            .filter(|s| s.status != Status::Passed)
            .map(|s| format!("{}: {}", s.id, s.details))
            .collect::<Vec<_>>()
            .join("; "),
    };
    Aspect { name, stars, notes }
}

fn mermaid(summary: &RunSummary) -> String {
    let mut m = String::from("graph TD\n");
    let esc = |s: &str| s.replace('"', "#quot;").replace(['\n', '\r'], " ");
    for (i, r) in summary.chain.revisions.iter().enumerate() {
        m.push_str(&format!(
            "  r{i}[\"{} {}<br/>{}\"]\n",
            r.status.mark(),
            esc(&r.id),
            esc(&r.description)
        ));
    }
    for (i, r) in summary.chain.revisions.iter().enumerate() {
        for p in &r.parents {
            if let Some(pi) = summary.chain.revisions.iter().position(|x| &x.id == p) {
                m.push_str(&format!("  r{pi} --> r{i}\n"));
            }
        }
    }
    m
}

pub fn build(summary: &RunSummary) -> ReportView {
    let head = summary
        .head
        .clone()
        .unwrap_or_else(|| "(no single head)".into());
    let go = summary.status == RunStatus::Passed;
    let cmds = &summary.tool.commands;
    let baseline = summary.baseline.clone().unwrap_or_else(|| "base".into());
    let failing: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| matches!(s.status, Status::Failed | Status::Error))
        .collect();

    let rows = summary
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| SummaryRow {
            number: i + 1,
            title: s.title.clone(),
            mark: s.status.mark(),
            word: s.status.word(),
            details: s.details.clone(),
        })
        .collect();
    let sections = summary
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| section(i + 1, s, summary))
        .collect();

    let baseline_id = summary.baseline.clone();
    let chain = summary
        .chain
        .revisions
        .iter()
        .map(|r| ChainLine {
            mark: r.status.mark(),
            id: r.id.clone(),
            description: r.description.clone(),
            note: if Some(&r.id) == summary.head.as_ref() {
                "← NEW (head)".into()
            } else if Some(&r.id) == baseline_id.as_ref() {
                "← production (baseline)".into()
            } else {
                String::new()
            },
        })
        .collect();
    let chain_findings: Vec<String> = summary
        .chain
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                match f.severity {
                    crate::chain::Severity::Error => "error",
                    _ => "warning",
                },
                f.message
            )
        })
        .chain(
            summary
                .scenarios
                .iter()
                .filter(|s| s.steps.iter().any(|st| st.action == "chain_checks"))
                .flat_map(|c| {
                    c.steps
                        .iter()
                        .filter(|s| {
                            matches!(s.status, Status::Failed | Status::Error)
                                && s.action != "chain_checks"
                        })
                        .filter_map(|s| s.message.clone())
                }),
        )
        .collect();
    let n = summary.chain.revisions.len();
    let chain_status = if summary.chain.errors() > 0 {
        format!(
            "{n} migrations; the revision graph is broken ({} error(s))",
            summary.chain.errors()
        )
    } else if summary
        .chain
        .revisions
        .iter()
        .any(|r| r.status == Status::Failed)
    {
        format!("{n} migrations linked by down_revision into one chain, but the walk base → head → base found defects")
    } else if summary
        .chain
        .revisions
        .iter()
        .all(|r| r.status == Status::Passed)
    {
        format!("All {n} migrations properly linked, each upgrade and downgrade verified against real schema snapshots")
    } else {
        format!("{n} migrations properly linked (the walk did not cover every revision)")
    };

    let confidence = vec![
        aspect(summary, "Upgrade", Some(Covers::Upgrade)),
        aspect(summary, "Idempotency", Some(Covers::Idempotency)),
        aspect(summary, "Rollback Safety", Some(Covers::Rollback)),
        aspect(
            summary,
            "Error Reproduction",
            Some(Covers::ErrorReproduction),
        ),
        {
            let mut a = aspect(summary, "Production Ready", None);
            if go {
                a.notes = format!(
                    "{} of {} scenarios passed",
                    summary.count(Status::Passed),
                    summary.scenarios.len()
                );
            }
            a
        },
    ];

    let prerequisites = vec![
        "Back up the production database before deployment (e.g. `mysqldump --single-transaction DB > backup.sql`)".to_string(),
        "Run this harness against a copy of production's schema if it may have drifted ([baseline] setup_sql)".to_string(),
        "Have the rollback procedure below ready".to_string(),
    ];
    let deploy_steps = vec![
        "Deploy the new code with the migration".to_string(),
        format!("Run: `{}`", cmds.upgrade),
        format!("Verify: `{}` shows {head}", cmds.current),
        "Verify: the application starts without \"Unknown column\" (1054) errors".to_string(),
        "Monitor logs for errors".to_string(),
    ];
    let blockers: Vec<String> = failing
        .iter()
        .map(|s| format!("{} ({}): {}", s.title, s.id, s.details))
        .collect();
    // The rollback production would run: from the baseline, not the chain walk from empty.
    let down = summary
        .scenarios
        .iter()
        .find(|s| s.aspect == Some(Covers::Rollback) && s.start == Start::Baseline);
    let down_ok = down.is_some_and(|d| d.status == Status::Passed);
    let (rollback_note, rollback_steps) = if down_ok {
        (
            format!("The downgrade {head} → {baseline} was verified: schema and seeded data are restored."),
            vec![
                "Stop the application".to_string(),
                format!("Run: `{} {baseline}`", cmds.downgrade_to),
                format!("Verify: `{}` shows {baseline}", cmds.current),
                "Redeploy the previous code version".to_string(),
                "Restart the application".to_string(),
            ],
        )
    } else {
        (
            match down {
                Some(d) if d.status != Status::Skipped => format!(
                    "Do NOT rely on the downgrade: {}. Restore from the backup instead.",
                    d.details
                ),
                _ => "The downgrade was not verified in this run: restore from the backup."
                    .to_string(),
            },
            vec![
                "Stop the application".to_string(),
                "Restore the database from the backup: `mysql -u USER -p DB < backup.sql`"
                    .to_string(),
                "Redeploy the previous code version".to_string(),
                "Restart the application".to_string(),
            ],
        )
    };

    let mut environment = vec![
        ("OS".to_string(), summary.os.clone()),
        (
            "Harness".to_string(),
            format!("{} {}", summary.harness.name, summary.harness.version),
        ),
    ];
    environment.extend(
        summary
            .tool
            .versions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    environment.push((
        "Database".to_string(),
        format!(
            "{} {}",
            match summary.server.engine {
                crate::provision::Engine::Mariadb => "MariaDB",
                _ => "MySQL",
            },
            summary.server.version
        ),
    ));
    environment.push((
        "Server provider".to_string(),
        format!("{:?}", summary.server.provider).to_lowercase(),
    ));
    if let Some(i) = &summary.server.image {
        environment.push(("Image".to_string(), i.clone()));
    }
    if !summary.server.settings.is_empty() {
        environment.push((
            "Server settings".to_string(),
            format!(
                "throwaway: {}",
                summary
                    .server
                    .settings
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    environment.push((
        "Database names".to_string(),
        "a fresh `mh_<run>_<n>` database per scenario, dropped afterwards".into(),
    ));
    let t = &summary.timings;
    environment.push((
        "Test duration".to_string(),
        format!(
            "{} (server start {}, tool processes {}, harness {})",
            secs(t.total_ms),
            secs(t.server_start_ms),
            secs(t.tool_ms),
            secs(t.harness_ms)
        ),
    ));

    let conclusion = if go {
        summary
            .scenarios
            .iter()
            .filter(|s| s.status == Status::Passed)
            .map(|s| format!("✅ {}: {}", s.title, s.details))
            .collect()
    } else if summary.status == RunStatus::Skipped {
        // Nothing was tested: say why, scenario by scenario — never a pass.
        let mut v: Vec<String> = summary
            .scenarios
            .iter()
            .map(|s| format!("⏭️ {}: not tested — {}", s.title, s.details))
            .collect();
        if summary.scope.new.is_empty() {
            v.push(match &summary.scope.since {
                Some(r) => format!("⏭️ no revision was added or changed since `{r}`"),
                None => "⏭️ no revision after the baseline".to_string(),
            });
        }
        v
    } else {
        failing
            .iter()
            .map(|s| format!("❌ {}: {}", s.title, s.details))
            .collect()
    };

    // Timeline: one row per scenario, its steps side by side, scaled to the longest one.
    let longest = summary
        .scenarios
        .iter()
        .map(|s| s.steps.iter().map(|x| x.duration_ms).sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let width = 560.0;
    let mut bars = Vec::new();
    for (i, s) in summary.scenarios.iter().enumerate() {
        let mut x = 0.0;
        for st in &s.steps {
            let w = (st.duration_ms as f64 / longest as f64) * width;
            bars.push(Bar {
                y: 8 + i as u32 * 22,
                x: 120.0 + x,
                width: w.max(1.0),
                class: class(st.status),
                tip: format!("{}: {} ({})", s.id, st.title, secs(st.duration_ms)),
            });
            x += w;
        }
    }

    ReportView {
        head: head.clone(),
        date: summary
            .started_at
            .format("%B %-d, %Y %H:%M UTC")
            .to_string(),
        tester: format!(
            "{} {} (automated)",
            summary.harness.name, summary.harness.version
        ),
        status_mark: if go {
            "✅"
        } else if summary.status == RunStatus::Error {
            "⚠️"
        } else {
            "❌"
        },
        status_text: match summary.status {
            RunStatus::Passed => "PASSED - PRODUCTION READY".into(),
            RunStatus::Failed => "FAILED - NOT READY FOR PRODUCTION".into(),
            RunStatus::Skipped => "NOTHING TESTED - NOT READY FOR PRODUCTION".into(),
            RunStatus::Error => format!(
                "ERROR - RUN INCOMPLETE{}",
                summary
                    .error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
        },
        go,
        rows,
        sections,
        chain,
        chain_findings,
        chain_status,
        mermaid: mermaid(summary),
        confidence,
        prerequisites,
        deploy_steps,
        blockers,
        rollback_note,
        rollback_steps,
        environment,
        conclusion,
        bars,
        timeline_height: 16 + summary.scenarios.len() as u32 * 22,
        timeline_scale: secs(longest),
    }
}

/// Markdown table cell: no pipe or newline may break the row.
pub fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Markdown inline text on one line (bullets): newlines flattened.
pub fn md_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A fence longer than any backtick run inside `s`, so content cannot close it.
pub fn md_fence(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Inline code that survives backticks in its content.
pub fn md_code(s: &str) -> String {
    let s = md_line(s);
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let f = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{f} {s} {f}")
    } else {
        format!("{f}{s}{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_hold() {
        assert_eq!(md_cell("a | b\nc"), "a \\| b c");
        assert_eq!(md_fence("x ``` y"), "````");
        assert_eq!(md_fence("plain"), "```");
        assert_eq!(md_code("a`b"), "`` a`b ``");
    }
}
