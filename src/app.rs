//! The run, end to end: config → plan → provision → run (events) → summary → renderers,
//! with cleanup on every exit path (error, panic, SIGINT, SIGTERM).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use crate::config::{Config, DbMode};
use crate::driver::{load_driver, process, MigrationDriver};
use crate::error::{HarnessError, Result};
use crate::provision::{self, ProvisionRequest, Server};
use crate::redact::Redactor;
use crate::report::{
    ChainView, Console, Dispatcher, Github, HarnessInfo, RenderContext, ReportFiles, RevisionView,
    ServerInfo, Sink, ToolInfo,
};
use crate::scenario::{
    self, builtin::all_scenarios, Event, Plan, PlannedId, RunContext, RunStart, Status,
};
use crate::settings::{RunSettings, Servers};
use crate::signal::wait_signal;

/// `YYMMDDHHMMSS` + 4 hex digits: sortable, and `clean` can read the age from it.
pub fn new_run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    format!(
        "{}{:04x}",
        chrono::Utc::now().format("%y%m%d%H%M%S"),
        h.finish() & 0xffff
    )
}

fn os_name() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        });
    format!(
        "{} ({})",
        pretty.unwrap_or_else(|| std::env::consts::OS.into()),
        std::env::consts::ARCH
    )
}

/// Removes containers of this run that a cancelled start may have left without an owner.
async fn remove_run_containers(run_id: &str) {
    if let Ok(ids) = provision::labelled_containers(Some(run_id)).await {
        for id in ids {
            let _ = provision::remove_container(&id).await;
        }
    }
}

pub async fn run(cfg: &Config, settings: &RunSettings) -> Result<i32> {
    let t0 = Instant::now();
    let redactor = Redactor::new();
    let scenario_dir = cfg
        .raw
        .scenarios
        .dir
        .as_ref()
        .map(|d| cfg.resolve(d))
        .unwrap_or_else(|| cfg.dir.join("scenarios"));
    let scenarios = all_scenarios(Some(&scenario_dir))?;
    if settings.list_scenarios {
        for s in &scenarios {
            println!("{:<18} {}  [{}]", s.id, s.summary, s.source);
        }
        return Ok(0);
    }
    let req = match &settings.servers {
        Servers::Matrix(specs) => return crate::matrix::run(cfg, settings, specs.clone()).await,
        Servers::One(req) => req.clone(),
    };
    let formats = settings.formats.clone();
    if req.mode == DbMode::Url && req.database_url.is_none() {
        return Err(HarnessError::usage(
            "--db url needs --database-url mysql://USER:PASS@HOST:PORT/ (or MH_DATABASE_URL)",
        ));
    }
    let run_id = new_run_id();
    // The server starts while the venv, the worker, the revision graph, the previous
    // release and the plan are made: none of them needs it, and MySQL takes seconds to start.
    let provisioning = Provisioning::start(&req, &run_id, &redactor);
    let prepared = tokio::select! {
        p = prepare(cfg, settings, &redactor, scenarios) => p,
        s = wait_signal() => Err(HarnessError::Interrupted(s.name())),
    };
    let (driver, previous, plan) = match prepared {
        Ok(p) => p,
        Err(e) => {
            // A worker being started when a signal came is gone with its future.
            process::kill_all_running();
            provisioning.cancel().await;
            return Err(e);
        }
    };
    let prepared_at = Instant::now();
    let slot: Arc<Mutex<Option<Arc<Server>>>> = Arc::new(Mutex::new(None));
    let start = run_start(cfg, driver.as_ref(), &plan, &run_id, req.mode);
    let sinks: Vec<Box<dyn Sink>> = vec![
        Box::new(ReportFiles::new(
            formats,
            settings.output_dir.clone(),
            RenderContext {
                root: std::env::current_dir().unwrap_or_default(),
                report_url: settings.report_url.clone(),
            },
        )),
        Box::new(Github::new(std::env::current_dir().unwrap_or_default())),
        // Last: it reports what the others wrote.
        Box::new(Console::new()),
    ];
    // Every sink hears of the run only through this stream, fed in emission order by one
    // dispatcher task. It lives outside the run's future: a signal that drops the run
    // still lets it render what finished before.
    let (events, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let dispatcher = tokio::spawn(Dispatcher::new(sinks).run(rx));
    let abort = provisioning.abort_handle();
    let work = {
        let slot = slot.clone();
        let cfg = cfg.clone();
        let driver = driver.clone();
        let tx = events.clone();
        let previous = previous.clone();
        async move {
            let _ = tx.send(Event::RunStarted(Box::new(start)));
            let ran = async {
                let server = Arc::new(provisioning.wait().await?);
                *slot.lock().expect("slot") = Some(server.clone());
                let _ = tx.send(Event::ServerReady {
                    server: server_info(&server),
                    startup_ms: server.startup_ms,
                    waited_ms: prepared_at.elapsed().as_millis() as u64,
                });
                let m = &cfg.raw;
                let ctx = Arc::new(RunContext {
                    server: server.clone(),
                    driver: driver.clone(),
                    plan,
                    setup_sql: m.baseline.setup_sql.clone(),
                    hotfix_sql: m.baseline.hotfix_sql.clone(),
                    probes: m.probes.clone(),
                    app_command: m.app_command.as_ref().map(|a| a.run.clone()),
                    production: m.production.clone(),
                    previous: previous.clone(),
                    timeout: settings.timeout,
                    jobs: settings.jobs,
                    server_lost: Default::default(),
                    baseline_template: Default::default(),
                });
                scenario::run_plan(ctx.clone(), tx.clone()).await;
                let _ = tx.send(Event::RunFinished {
                    server_lost: ctx.server_lost.load(Ordering::SeqCst),
                    total_ms: t0.elapsed().as_millis() as u64,
                });
                Ok::<_, HarnessError>(())
            }
            .await;
            drop(tx);
            ran
        }
    };
    let outcome = tokio::select! {
        r = std::panic::AssertUnwindSafe(work).catch_unwind() => Ok(r),
        s = wait_signal() => Err(s),
    };
    // Cleanup on every path: tool processes, databases, the server, stray containers, the
    // previous release's files. A start still under way when a signal came is stopped.
    abort.abort();
    driver.shutdown().await;
    if let Some(p) = &previous {
        p.close().await;
    }
    process::kill_all_running();
    let server = slot.lock().expect("slot").take();
    if let Some(server) = server {
        if let Err(e) = server.teardown().await {
            eprintln!("warning: {}", redactor.redact(&e.to_string()));
        }
    }
    remove_run_containers(&run_id).await;

    if let Err(signal) = &outcome {
        let _ = events.send(Event::Interrupted {
            signal: signal.name(),
            total_ms: t0.elapsed().as_millis() as u64,
        });
    }
    // The stream ends once the run's last sender is gone (a cancelled scenario task drops
    // its own when the abort reaches it); the dispatcher has then seen everything.
    drop(events);
    let dispatcher = tokio::time::timeout(Duration::from_secs(30), dispatcher).await;
    let dispatcher = match dispatcher {
        Ok(Ok(d)) => Ok(d),
        Ok(Err(e)) => Err(HarnessError::env(format!(
            "internal error in the reporter: {e}"
        ))),
        Err(_) => Err(HarnessError::env(
            "internal error: the reporter did not finish within 30 s",
        )),
    };
    let dispatcher = match outcome {
        Err(signal) => {
            // What finished before the signal still reports; the exit code stays the
            // signal's.
            if let Ok(d) = dispatcher {
                if let Err(e) = d.finish() {
                    eprintln!("warning: no report: {e}");
                }
            }
            return Err(HarnessError::Interrupted(signal.name()));
        }
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            return Err(HarnessError::env(format!(
                "internal error (panic): {msg}; cleanup done"
            )));
        }
        Ok(Ok(r)) => {
            r?;
            dispatcher?
        }
    };
    // After cleanup, as before: the reports render from what the collector folded.
    let summary = dispatcher.finish()?;
    if let Some(e) = &summary.error {
        eprintln!("error: {e}");
    }
    Ok(summary.status.exit_code())
}

/// The driver (venv, worker, revision graph), the previous release and the plan: everything
/// before the server.
type Prepared = (
    Arc<dyn MigrationDriver>,
    Option<Arc<crate::previous::PreviousRelease>>,
    Plan,
);

async fn prepare(
    cfg: &Config,
    settings: &RunSettings,
    redactor: &Redactor,
    scenarios: Vec<scenario::ScenarioFile>,
) -> Result<Prepared> {
    let driver: Arc<dyn MigrationDriver> =
        Arc::from(load_driver(cfg, redactor, settings.verbose).await?);
    // The previous release, read from git; its files go with it on every path.
    let previous = match settings.previous.as_deref() {
        None => None,
        Some(r) => match crate::previous::load(cfg, r, redactor, settings.verbose).await {
            Ok(p) => Some(Arc::new(p)),
            // `--since` alone only narrows the scope: a ref whose code cannot be loaded
            // (the first change that adds migrations, say) leaves the compat check without a
            // previous release instead of stopping the run. `[compat] previous` asked for it.
            Err(e) if cfg.raw.compat.previous.is_none() => {
                tracing::warn!(
                    "no previous release from --since {r} ({e}): the compat check runs without one"
                );
                None
            }
            Err(e) => {
                driver.shutdown().await;
                return Err(e);
            }
        },
    };
    let report = driver.chain().verify();
    let previous_head = previous.as_ref().and_then(|p| {
        crate::previous::default_baseline(p.head.as_deref(), &report.order, report.head())
    });
    let baseline = settings.baseline.as_deref().or(previous_head.as_deref());
    let changed = match &settings.since {
        Some(since) => Some(crate::git::changed_since(
            driver.chain(),
            &cfg.migrations_dir(),
            since,
        )?),
        None => None,
    };
    let plan = scenario::plan(
        driver.chain(),
        scenarios,
        &settings.scenarios,
        baseline,
        &cfg.raw.scenarios,
        changed.as_ref(),
    )?;
    Ok((driver, previous, plan))
}

/// The server's start, running in its own task from the moment the config is read.
struct Provisioning {
    task: tokio::task::JoinHandle<Result<Server>>,
    run_id: String,
}

impl Provisioning {
    fn start(req: &ProvisionRequest, run_id: &str, redactor: &Redactor) -> Provisioning {
        let (req, id, redactor) = (req.clone(), run_id.to_string(), redactor.clone());
        Provisioning {
            task: tokio::spawn(async move { provision::provision(&req, &id, &redactor).await }),
            run_id: run_id.to_string(),
        }
    }

    fn abort_handle(&self) -> tokio::task::AbortHandle {
        self.task.abort_handle()
    }

    async fn wait(self) -> Result<Server> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(HarnessError::env(format!(
                "the server's start stopped: {e}"
            ))),
        }
    }

    /// The run ends before it needed the server: stop the start, or undo it if it finished.
    async fn cancel(self) {
        self.task.abort();
        if let Ok(Ok(server)) = self.task.await {
            let _ = server.teardown().await;
        }
        remove_run_containers(&self.run_id).await;
    }
}

fn server_info(server: &Server) -> ServerInfo {
    ServerInfo {
        engine: server.engine,
        version: server.version.clone(),
        provider: server.provider,
        image: server.image.clone(),
        settings: server.settings.clone(),
        choice: server.choice.clone(),
        profile: server.profile.clone(),
    }
}

/// What the run knows before it starts: the first event of its stream.
fn run_start(
    cfg: &Config,
    driver: &dyn MigrationDriver,
    plan: &Plan,
    run_id: &str,
    db: DbMode,
) -> RunStart {
    let order = plan.order();
    let chain = driver.chain();
    let revisions: Vec<RevisionView> = order
        .iter()
        .filter_map(|id| chain.get(id))
        .chain(chain.revisions.iter().filter(|r| !order.contains(&r.id)))
        .map(|r| RevisionView {
            id: r.id.clone(),
            description: r.description.clone(),
            parents: r.parents.clone(),
            status: Status::Skipped,
            file: r.file.as_ref().map(|f| f.display().to_string()),
            line: r.line,
        })
        .collect();
    let walker = plan
        .scenarios
        .iter()
        .find(|p| p.file.steps.contains(&scenario::Step::Walk))
        .map(|p| p.file.id.clone());
    RunStart {
        run_id: run_id.to_string(),
        started_at: chrono::Utc::now(),
        db,
        project: cfg.raw.project.name.clone().unwrap_or_else(|| {
            cfg.dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }),
        head: plan.head.clone(),
        baseline: plan.baseline.clone(),
        plan: plan
            .scenarios
            .iter()
            .map(|p| PlannedId {
                id: p.file.id.clone(),
                title: p.file.title.clone(),
            })
            .collect(),
        scope: plan.scope.clone(),
        chain: ChainView {
            revisions,
            heads: plan.chain.heads.clone(),
            findings: plan.chain.findings.clone(),
        },
        walker,
        tool: ToolInfo {
            kind: driver.tool(),
            commands: driver.commands(),
            versions: driver.versions(),
        },
        harness: HarnessInfo {
            name: "migration-harness".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        os: os_name(),
    }
}
