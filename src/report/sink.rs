//! `Sink` and the `Dispatcher` that feeds them: one task reads the run's event stream and
//! hands each event to the `Collector` and to every sink, in order — cargo-nextest's shape
//! (its runner emits `TestEvent`s, one reporter fans them out to the display and the
//! structured outputs; `nextest-runner/src/reporter/`). At the end, every sink renders from
//! the `RunSummary` the collector folded from that same stream: there is no second source.

use std::path::PathBuf;

use tokio::sync::mpsc::UnboundedReceiver;

use super::collect::Collector;
use super::summary::RunSummary;
use crate::error::{HarnessError, Result};
use crate::scenario::Event;

/// Something a sink did at the end that a later sink (the console) reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A report file was written.
    Report(PathBuf),
    /// The markdown report was appended to `$GITHUB_STEP_SUMMARY`.
    StepSummary,
}

pub trait Sink: Send {
    /// Each event as it happens (live progress). Most sinks wait for the summary instead.
    fn event(&mut self, _ev: &Event) {}

    /// The run is over: `summary` is what the collector folded. `done` holds what the sinks
    /// before this one did; push onto it what this one did.
    fn finish(&mut self, summary: &RunSummary, done: &mut Vec<Outcome>) -> Result<()>;
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
            .map_err(|m| HarnessError::env(format!("internal error: {m}")))?;
        let mut done = Vec::new();
        for mut s in self.sinks {
            s.finish(&summary, &mut done)?;
        }
        Ok(summary)
    }
}
