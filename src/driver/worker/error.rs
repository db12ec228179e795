//! `WorkerFailure` (why a call produced no reply) and `WorkerError` (a worker the run needs
//! could not be used), as data; text only in `Display`.

/// Why a call produced no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerFailure {
    /// No reply within the step's timeout; the worker was killed.
    TimedOut,
    /// The process ended (killed, crashed) before replying; what it last printed.
    Died { detail: String },
    /// A worker could not be started at all.
    NotStarted { reason: String },
}

/// A worker the run needs could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The first worker did not start (a missing package, a bad interpreter).
    #[error("{}", match failure {
        WorkerFailure::NotStarted { reason } => reason.clone(),
        other => format!("{worker} did not start: {other:?}"),
    })]
    NotStarted {
        worker: &'static str,
        failure: WorkerFailure,
    },
    /// The worker failed answering the graph request.
    #[error("{worker} failed loading the graph: {failure:?}")]
    Graph {
        worker: &'static str,
        failure: WorkerFailure,
    },
}
