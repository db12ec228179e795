//! The conclusion (each scenario's verdict on one line) and the timeline bars.

use crate::scenario::{ScenarioResult, Status};

use super::super::summary::{RunStatus, RunSummary};
use super::confidence::test_number;
use super::text::{class, secs};

/// One reason in the conclusion: the scenario's verdict on one line.
pub struct Conclusion {
    pub class: &'static str,
    pub text: String,
}

pub struct Bar {
    pub y: u32,
    pub x: f64,
    pub width: f64,
    pub class: &'static str,
    pub tip: String,
}

/// Step durations per scenario, side by side, scaled to the longest scenario.
pub struct Timeline {
    pub bars: Vec<Bar>,
    pub height: u32,
    pub scale: String,
}

/// `short`: each scenario's one-line verdict, in plan order.
pub fn conclusion(summary: &RunSummary, short: &[String]) -> Vec<Conclusion> {
    let go = summary.status == RunStatus::Passed;
    let short_of = |id: &str| {
        let i = test_number(summary, id);
        (i, short.get(i.wrapping_sub(1)).cloned().unwrap_or_default())
    };
    let failing: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| matches!(s.status, Status::Failed | Status::Error))
        .collect();
    let line = |s: &ScenarioResult, text: String| Conclusion {
        class: class(s.status),
        text,
    };
    if go {
        summary
            .scenarios
            .iter()
            .filter(|s| s.status == Status::Passed)
            .map(|s| line(s, format!("{}: {}", s.title, short_of(&s.id).1)))
            .collect()
    } else if summary.status == RunStatus::Skipped {
        // Nothing was tested: say why, scenario by scenario — never a pass.
        let mut v: Vec<Conclusion> = summary
            .scenarios
            .iter()
            .map(|s| {
                line(
                    s,
                    format!("{}: not tested — {}", s.title, short_of(&s.id).1),
                )
            })
            .collect();
        if summary.scope.new.is_empty() {
            v.push(Conclusion {
                class: class(Status::Skipped),
                text: match &summary.scope.since {
                    Some(r) => format!("no revision was added or changed since `{r}`"),
                    None => "no revision after the baseline".to_string(),
                },
            });
        }
        v
    } else {
        failing
            .iter()
            .map(|s| {
                let (i, text) = short_of(&s.id);
                line(s, format!("{}: {text} (Test {i})", s.title))
            })
            .collect()
    }
}

pub fn timeline(summary: &RunSummary) -> Timeline {
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
    Timeline {
        bars,
        height: 16 + summary.scenarios.len() as u32 * 22,
        scale: secs(longest),
    }
}
