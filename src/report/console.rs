//! Live progress on the terminal: a spinner per scenario on a TTY (indicatif), plain
//! timestamped lines elsewhere (CI); colours only when allowed (`NO_COLOR`).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::group::{shorten, Grouper};
use super::matrix::{divergence_text, verdict_line, MatrixSummary};
use super::sink::{Outcome, Sink};
use super::summary::{RunStatus, RunSummary, ServerInfo};
use super::view::scenario_short;
use crate::error::Result;
use crate::provision::Choice;
use crate::scenario::{Event, Status, StepResult};

/// A failing step on one line: what failed, at which revision, the server's code and the
/// statement it refused (shortened): `FAIL walk down … [000050] 1091 Can't DROP … — ALTER …`.
pub fn failure_line(st: &StepResult) -> String {
    let mut out = format!("{} {}", st.status.word(), st.title);
    let title = st.title.to_string();
    if let Some(r) = st.revision.as_deref().filter(|r| !title.contains(r)) {
        out.push_str(&format!(" [{r}]"));
    }
    match (&st.error, &st.message) {
        (Some(e), _) => out.push_str(&format!(": {} {}", e.code, shorten(&e.message, 100))),
        (None, Some(m)) => out.push_str(&format!(": {}", shorten(&m.to_string(), 140))),
        (None, None) => {}
    }
    if let Some(q) = st.statement.as_ref().map(|q| q.text()) {
        if !q.is_empty() {
            out.push_str(&format!(" — statement: {}", shorten(q, 80)));
        }
    }
    if st.demoted.is_some() {
        out.push_str(" (counted as a warning)");
    }
    out
}

/// The lines a finished step prints: one per blocking statement for an online-DDL step
/// (counted as a warning or not), else its failure line.
fn problem_lines(st: &StepResult) -> Vec<String> {
    if st.online_ddl.is_some() {
        let mark = if st.demoted.is_some() {
            "WARN"
        } else {
            st.status.word()
        };
        return super::online::blocking_lines(st)
            .into_iter()
            .map(|l| format!("{mark} blocks writes: {l}"))
            .collect();
    }
    vec![failure_line(st)]
}

pub struct Console {
    color: bool,
    multi: Option<MultiProgress>,
    bars: HashMap<String, ProgressBar>,
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

impl Console {
    pub fn new() -> Self {
        let tty = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let color = tty && std::env::var_os("NO_COLOR").is_none();
        Console {
            color,
            multi: tty.then(MultiProgress::new),
            bars: HashMap::new(),
        }
    }

    fn paint(&self, st: Status, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        let code = match st {
            Status::Passed => "32",
            Status::Failed => "31",
            Status::Skipped => "90",
            Status::Error => "33",
        };
        format!("\x1b[{code}m{s}\x1b[0m")
    }

    /// A line of its own (above the spinners on a TTY).
    pub fn line(&self, msg: &str) {
        let stamped = format!("[{}] {msg}", chrono::Utc::now().format("%H:%M:%S"));
        match &self.multi {
            Some(m) => {
                let _ = m.println(msg);
            }
            None => eprintln!("{stamped}"),
        }
    }
}

impl Sink for Console {
    fn event(&mut self, ev: &Event) {
        match ev {
            Event::RunStarted(run) => self.line(
                &format!(
                    "provisioning a server (--db {:?}) for run {}",
                    run.db, run.run_id
                )
                .to_lowercase(),
            ),
            Event::ServerReady {
                server,
                startup_ms,
                waited_ms,
            } => {
                self.line(&format!(
                    "server ready: {} via {:?} in {:.1} s (the run waited {:.1} s for it)",
                    server.version,
                    server.provider,
                    *startup_ms as f64 / 1000.0,
                    *waited_ms as f64 / 1000.0
                ));
                if let Some(why) = choice_line(server) {
                    self.line(&why);
                }
            }
            Event::RunFinished { .. } => {}
            Event::Interrupted { signal, .. } => {
                self.line(&format!("interrupted by {signal}: reporting what finished"))
            }
            Event::ScenarioStarted { id, title } => match &self.multi {
                Some(m) => {
                    let pb = m.add(ProgressBar::new_spinner());
                    pb.set_style(
                        ProgressStyle::with_template("{spinner} {prefix:16} {msg} {elapsed}")
                            .expect("style"),
                    );
                    pb.set_prefix(id.clone());
                    pb.set_message(title.clone());
                    pb.enable_steady_tick(Duration::from_millis(120));
                    self.bars.insert(id.clone(), pb);
                }
                None => self.line(&format!("▶ {id:16} {title}")),
            },
            Event::StepFinished { scenario, step } => {
                if let Some(pb) = self.bars.get(scenario) {
                    pb.set_message(format!("{} {}", step.status.mark(), step.title));
                } else if step.status != Status::Passed {
                    for l in problem_lines(step) {
                        self.line(&format!("  {scenario:16} {l}"));
                    }
                }
            }
            Event::ScenarioFinished { result } => {
                if let Some(pb) = self.bars.get(&result.id) {
                    // The spinner line is replaced on finish: print the failing steps above.
                    for st in result.steps.iter().filter(|s| {
                        matches!(s.status, Status::Failed | Status::Error)
                            && (s.demoted.is_none() || s.online_ddl.is_some())
                    }) {
                        for l in problem_lines(st) {
                            pb.println(format!("  {:16} {l}", result.id));
                        }
                    }
                }
                let word = self.paint(result.status, result.status.word());
                let line = format!(
                    "{} {:16} {word:5} {:>6.1} s  {}",
                    result.status.mark(),
                    result.id,
                    result.duration_ms as f64 / 1000.0,
                    scenario_short(result, &Grouper::new([]))
                );
                match self.bars.remove(&result.id) {
                    Some(pb) => pb.finish_with_message(format!(
                        "{word} {}",
                        scenario_short(result, &Grouper::new([]))
                    )),
                    None => self.line(&line),
                }
            }
        }
    }

    /// The table of scenarios, the verdict line and where the reports went.
    fn finish(&mut self, s: &RunSummary, done: &mut Vec<Outcome>) -> Result<()> {
        if done.contains(&Outcome::StepSummary) {
            self.line("appended the report to $GITHUB_STEP_SUMMARY");
        }
        if let Some(m) = self.multi.take() {
            let _ = m.clear();
        }
        eprintln!();
        eprintln!(
            "{:<4} {:<18} {:<6} {:>8}  Details",
            "", "Scenario", "Result", "Time"
        );
        let g = Grouper::new(s.chain.revisions.iter().map(|r| r.id.as_str()));
        for r in &s.scenarios {
            eprintln!(
                "{:<4} {:<18} {:<6} {:>7.1}s  {}",
                r.status.mark(),
                r.id,
                self.paint(r.status, r.status.word()),
                r.duration_ms as f64 / 1000.0,
                scenario_short(r, &g)
            );
        }
        if !s.findings.is_empty() {
            // Ranked, one line each, alike ones grouped; the reports have them in full.
            const SHOWN: usize = 12;
            eprintln!("\nFindings ({}):", super::view::findings_counts(s));
            let lines = super::view::finding_lines(s, &g, |_| true);
            for l in lines.iter().take(SHOWN) {
                let st = match l.class {
                    "fail" => Status::Failed,
                    "warn" => Status::Error,
                    _ => Status::Skipped,
                };
                let id = l.id.as_deref().unwrap_or("");
                eprintln!(
                    "  {} {}",
                    self.paint(st, &format!("{id:<7}")),
                    shorten(&l.text, 220)
                );
            }
            if lines.len() > SHOWN {
                eprintln!("  … and {} more in the report", lines.len() - SHOWN);
            }
        }
        let verdict = match s.status {
            RunStatus::Passed => self.paint(Status::Passed, "PASSED — GO"),
            RunStatus::Failed => self.paint(Status::Failed, "FAILED — NO-GO"),
            RunStatus::Error => self.paint(Status::Error, "ERROR — run incomplete"),
            RunStatus::Skipped => self.paint(Status::Skipped, "NOTHING TESTED — NO-GO"),
        };
        eprintln!(
            "\n{verdict}: {} passed, {} failed, {} errors, {} skipped in {:.1} s (server {} {} via {:?})",
            s.count(Status::Passed),
            s.count(Status::Failed),
            s.count(Status::Error),
            s.count(Status::Skipped),
            s.timings.total_ms as f64 / 1000.0,
            match s.server.engine {
                crate::provision::Engine::Mariadb => "MariaDB",
                crate::provision::Engine::Mysql => "MySQL",
            },
            s.server.version,
            s.server.provider
        );
        for d in done.iter() {
            if let Outcome::Report(p) = d {
                eprintln!("report: {}", p.display());
            }
        }
        Ok(())
    }
}

/// A matrix's end: its divergences, the formats only each server has, where the reports went
/// and the verdict over every server.
impl Sink<MatrixSummary> for Console {
    fn finish(&mut self, ms: &MatrixSummary, done: &mut Vec<Outcome>) -> Result<()> {
        if let Some(m) = self.multi.take() {
            let _ = m.clear();
        }
        let m = &ms.matrix;
        for d in &m.divergences {
            eprintln!("divergence: {} {}", d.scenario, divergence_text(d));
        }
        for d in done.iter() {
            match d {
                Outcome::Report(p) => eprintln!("matrix report: {}", p.display()),
                Outcome::StepSummary => {
                    eprintln!("appended the matrix report to $GITHUB_STEP_SUMMARY")
                }
                Outcome::PerServerOnly(f) => eprintln!(
                    "{}: about one run's findings, so only in each server's own report \
                     (servers/<label>/{}), not for the matrix",
                    f.name(),
                    f.file_name()
                ),
            }
        }
        let st = match m.status {
            RunStatus::Passed => Status::Passed,
            RunStatus::Failed => Status::Failed,
            RunStatus::Error => Status::Error,
            RunStatus::Skipped => Status::Skipped,
        };
        eprintln!("{}", self.paint(st, &verdict_line(m)));
        Ok(())
    }
}

/// Why `--db auto` ran on this server; nothing when the user named it.
fn choice_line(server: &ServerInfo) -> Option<String> {
    let image = server.image.as_deref().unwrap_or("?");
    match &server.choice {
        Choice::Requested => None,
        Choice::AutoImage => Some(format!("--db auto chose the container {image}")),
        Choice::AutoLocalImage { wanted, reason } => Some(format!(
            "--db auto chose the locally built image {image}: {wanted} could not be started ({reason})"
        )),
        Choice::AutoLocalBinary { reason } => Some(format!(
            "--db auto chose a local server process: {reason}"
        )),
    }
}
