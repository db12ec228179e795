//! SIGINT and SIGTERM as a future: the run and the matrix race their work against it, so a
//! signal ends the run through the same cleanup as an error.

/// The signal that ended a run; its name goes into the report and the exit code.
pub enum Interrupt {
    Int,
    Term,
}

impl Interrupt {
    pub fn name(&self) -> &'static str {
        match self {
            Interrupt::Int => "SIGINT",
            Interrupt::Term => "SIGTERM",
        }
    }
}

pub async fn wait_signal() -> Interrupt {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        std::future::pending::<()>().await;
        unreachable!()
    };
    tokio::select! {
        _ = int.recv() => Interrupt::Int,
        _ = term.recv() => Interrupt::Term,
    }
}
