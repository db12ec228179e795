//! `Sink` and the `Dispatcher` that feeds them: one task reads the run's event stream and
//! hands each event to the `Collector` and to every sink, in order — cargo-nextest's shape
//! (its runner emits `TestEvent`s, one reporter fans them out to the display and the
//! structured outputs; `nextest-runner/src/reporter/`). At the end, every sink renders from
//! the `RunSummary` the collector folded from that same stream: there is no second source.
//! A sink is generic over what it renders: a server matrix renders its `MatrixSummary`
//! through the same sinks (`Sink<MatrixSummary>`) and the same `render` fan-out.

use std::path::PathBuf;

use tokio::sync::mpsc::UnboundedReceiver;

use super::collect::Collector;
use super::format::Format;
use super::summary::RunSummary;
use crate::error::{HarnessError, Internal, Result};
use crate::scenario::Event;

/// Something a sink did at the end that a later sink (the console) reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A report file was written.
    Report(PathBuf),
    /// The markdown report was appended to `$GITHUB_STEP_SUMMARY`.
    StepSummary,
    /// A requested format that only each server's own report has (a matrix's SARIF).
    PerServerOnly(Format),
}

/// Renders `R`: a run's `RunSummary` (the default) or a matrix's `MatrixSummary`.
pub trait Sink<R = RunSummary>: Send {
    /// Each event as it happens (live progress). Most sinks wait for the summary instead.
    fn event(&mut self, _ev: &Event) {}

    /// The run is over: `report` is what was folded (for a run, by the collector). `done`
    /// holds what the sinks before this one did; push onto it what this one did.
    fn finish(&mut self, report: &R, done: &mut Vec<Outcome>) -> Result<()>;
}

pub struct Dispatcher {
    collector: Collector,
    sinks: Vec<Box<dyn Sink>>,
}

impl Dispatcher {
    /// `sinks` finish in this order: put the console last, it reports what the others did.
    pub fn new(sinks: Vec<Box<dyn Sink>>) -> Self {
        Dispatcher {
            collector: Collector::new(),
            sinks,
        }
    }

    pub fn event(&mut self, ev: &Event) {
        self.collector.event(ev);
        for s in &mut self.sinks {
            s.event(ev);
        }
    }

    /// Reads the stream until every sender is gone.
    pub async fn run(mut self, mut rx: UnboundedReceiver<Event>) -> Self {
        while let Some(ev) = rx.recv().await {
            self.event(&ev);
        }
        self
    }

    /// Folds the summary and lets every sink render it; returns the summary for the verdict.
    pub fn finish(self) -> Result<RunSummary> {
        let summary = self
            .collector
            .finish()
            .map_err(|m| HarnessError::Internal(Internal::Collector(m.to_string())))?;
        render(self.sinks, &summary)?;
        Ok(summary)
    }
}

/// Lets every sink render `report`, in order (a merge renders a folded summary this way, a
/// matrix its matrix). A sink that fails does not keep the others (the console's verdict
/// above all) from rendering; the first failure is the error.
pub fn render<R>(sinks: Vec<Box<dyn Sink<R>>>, report: &R) -> Result<()> {
    let mut done = Vec::new();
    let mut first_error = None;
    for mut s in sinks {
        if let Err(e) = s.finish(report, &mut done) {
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::error::IoAction;
    use crate::report::collect::tests::{finished, server_ready, started, PLAN};
    use crate::scenario::Status;

    /// What a recording sink saw, shared with the test after the sink moved away.
    #[derive(Default)]
    struct Seen {
        events: usize,
        summary_ids: Vec<String>,
        done_before: Vec<Outcome>,
    }

    struct Recorder {
        seen: Arc<Mutex<Seen>>,
        writes: Option<PathBuf>,
        fails: bool,
    }

    impl Sink for Recorder {
        fn event(&mut self, _ev: &Event) {
            self.seen.lock().unwrap().events += 1;
        }

        fn finish(&mut self, summary: &RunSummary, done: &mut Vec<Outcome>) -> Result<()> {
            let mut seen = self.seen.lock().unwrap();
            seen.summary_ids = summary.scenarios.iter().map(|s| s.id.clone()).collect();
            seen.done_before = done.clone();
            if self.fails {
                let full = std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full");
                return Err(HarnessError::io(IoAction::Write, "out/report.json")(full));
            }
            done.extend(self.writes.clone().map(Outcome::Report));
            Ok(())
        }
    }

    fn recorder(writes: Option<&str>, fails: bool) -> (Box<dyn Sink>, Arc<Mutex<Seen>>) {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let sink = Recorder {
            seen: seen.clone(),
            writes: writes.map(PathBuf::from),
            fails,
        };
        (Box::new(sink), seen)
    }

    /// The run's stream with the scenarios finishing in reverse plan order.
    fn stream() -> Vec<Event> {
        let mut events = vec![started(&["b"]), server_ready()];
        events.extend(
            PLAN.iter()
                .rev()
                .map(|id| finished(id, Status::Passed, vec![])),
        );
        events.push(Event::RunFinished {
            server_lost: false,
            total_ms: 10,
        });
        events
    }

    async fn dispatch(sinks: Vec<Box<dyn Sink>>, events: Vec<Event>) -> Dispatcher {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(Dispatcher::new(sinks).run(rx));
        for e in events {
            tx.send(e).unwrap();
        }
        drop(tx);
        task.await.unwrap()
    }

    #[tokio::test]
    async fn every_sink_sees_every_event_and_renders_the_one_folded_summary() {
        let (files, files_seen) = recorder(Some("out/report.json"), false);
        let (console, console_seen) = recorder(None, false);
        let events = stream();
        let n = events.len();
        let summary = dispatch(vec![files, console], events)
            .await
            .finish()
            .expect("a whole run");
        assert_eq!(summary.status, crate::report::RunStatus::Passed);
        for seen in [&files_seen, &console_seen] {
            let seen = seen.lock().unwrap();
            assert_eq!(seen.events, n);
            assert_eq!(seen.summary_ids, PLAN, "plan order, not finishing order");
        }
        assert!(files_seen.lock().unwrap().done_before.is_empty());
        assert_eq!(
            console_seen.lock().unwrap().done_before,
            [Outcome::Report(PathBuf::from("out/report.json"))],
            "a later sink learns what the earlier ones did"
        );
    }

    #[tokio::test]
    async fn a_failing_sink_fails_the_finish_and_a_cut_stream_renders_nothing() {
        let (broken, _) = recorder(None, true);
        let err = dispatch(vec![broken], stream()).await.finish().unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");

        let (sink, seen) = recorder(None, false);
        let mut cut = stream();
        cut.pop();
        let err = dispatch(vec![sink], cut).await.finish().unwrap_err();
        assert!(err.to_string().contains("RunFinished"), "{err}");
        assert!(
            seen.lock().unwrap().summary_ids.is_empty(),
            "no summary, no report"
        );
    }
}
