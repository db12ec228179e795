//! CLI entry: parse, run the library, map the outcome to an exit code (DESIGN.md §1).

use clap::Parser;
use migration_harness::cli::{Cli, Command};
use migration_harness::settings::{self, Env};
use migration_harness::{app, clean, doctor, init, merge};

fn main() {
    let cli = Cli::parse();
    let filter = if cli.verbose {
        "migration_harness=debug"
    } else {
        "migration_harness=warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(async {
        // The command line stops here: the library gets resolved settings.
        let url = settings::database_url(&cli, &Env::process());
        let result = match &cli.command {
            None => match settings::load(&cli) {
                Ok((cfg, s)) => app::run(&cfg, &s).await,
                Err(e) => Err(e),
            },
            Some(Command::Doctor) => {
                doctor::run(
                    &settings::config_path(&cli),
                    cli.server_binary.first().cloned(),
                    url.as_deref(),
                )
                .await
            }
            Some(Command::Prepare) => doctor::prepare(&settings::config_path(&cli)).await,
            Some(Command::Init { dir, force }) => init::run(dir, *force),
            Some(Command::Merge {
                dirs,
                format,
                output_dir,
                report_url,
            }) => migration_harness::report::Format::parse_list(format).and_then(|formats| {
                merge::run(&merge::MergeRequest {
                    dirs: dirs.clone(),
                    formats,
                    output_dir: output_dir.clone(),
                    report_url: report_url.clone(),
                })
            }),
            Some(Command::Clean { older_than_minutes }) => {
                clean::run(url.as_deref(), *older_than_minutes).await
            }
        };
        match result {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                e.exit_code()
            }
        }
    });
    // Dropping the runtime waits for blocking tasks; a hung one must not keep us alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    std::process::exit(code);
}
