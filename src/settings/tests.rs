use super::*;
use clap::{CommandFactory, Parser};

fn config(text: &str) -> (tempfile::TempDir, Config) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("harness.toml");
    std::fs::write(&p, text).unwrap();
    let c = Config::load(&p).unwrap();
    (d, c)
}

fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("migration-harness").chain(args.iter().copied())).unwrap()
}

fn resolve(args: &[&str], env: &[(&str, &str)], cfg: &Config) -> RunSettings {
    RunSettings::resolve(&cli(args), &Env::from_pairs(env), cfg).unwrap()
}

fn one(s: &RunSettings) -> &ProvisionRequest {
    match &s.servers {
        Servers::One(r) => r,
        Servers::Matrix(m) => panic!("a matrix: {m:?}"),
    }
}

const SQLDIR: &str = "[migrations]\ntool = \"sqldir\"\nformat = \"dbmate\"\ndir = \".\"\n";

fn with_file_values() -> (tempfile::TempDir, Config) {
    config(&format!(
        "[server]\ndb = \"local\"\nimage = \"file:1\"\ndatabase_url_env = \"MY_URL\"\nstartup_timeout = 9\n\
         [baseline]\nrevision = \"r1\"\n[scenarios]\ntimeout = 40\njobs = 3\n{SQLDIR}"
    ))
}

#[test]
fn a_flag_wins_over_the_environment_which_wins_over_the_file() {
    let (_d, cfg) = with_file_values();
    let env = [("MH_IMAGE", "env:1"), ("MY_URL", "mysql://u:p@h:1/")];
    let s = resolve(&[], &env, &cfg);
    assert_eq!(one(&s).image, "env:1");
    assert_eq!(one(&s).mode, DbMode::Local);
    assert_eq!(one(&s).database_url.as_deref(), Some("mysql://u:p@h:1/"));
    assert_eq!(one(&s).startup_timeout, Duration::from_secs(9));
    assert_eq!(s.baseline.as_deref(), Some("r1"));
    assert_eq!(s.timeout, Duration::from_secs(40));
    assert_eq!(s.jobs, 3);
    let s = resolve(
        &[
            "--image",
            "flag:1",
            "--db",
            "container",
            "--database-url",
            "mysql://f@h:2/",
            "--baseline",
            "r2",
            "--timeout",
            "7",
            "--jobs",
            "5",
        ],
        &env,
        &cfg,
    );
    assert_eq!(one(&s).image, "flag:1");
    assert_eq!(one(&s).mode, DbMode::Container);
    assert_eq!(one(&s).database_url.as_deref(), Some("mysql://f@h:2/"));
    assert_eq!(s.baseline.as_deref(), Some("r2"));
    assert_eq!(s.timeout, Duration::from_secs(7));
    assert_eq!(s.jobs, 5);
    // The file's image over the default; MH_DATABASE_URL over the file's variable.
    let s = resolve(&[], &[("MH_DATABASE_URL", "mysql://e@h:3/")], &cfg);
    assert_eq!(one(&s).image, "file:1");
    assert_eq!(one(&s).database_url.as_deref(), Some("mysql://e@h:3/"));
}

#[test]
fn defaults_fill_what_nobody_set() {
    let (_d, cfg) = config(SQLDIR);
    let s = resolve(&[], &[], &cfg);
    assert_eq!(one(&s).image, DEFAULT_IMAGE);
    assert_eq!(one(&s).mode, DbMode::Auto);
    assert_eq!(one(&s).database_url, None);
    assert_eq!(s.timeout, Duration::from_secs(DEFAULT_TIMEOUT_S));
    assert_eq!(s.scenarios, ScenarioSelection::All);
    assert_eq!(
        s.formats,
        [Format::Markdown, Format::Html, Format::Json, Format::Junit]
    );
    assert_eq!(s.config, PathBuf::from("harness.toml"));
}

#[test]
fn scenario_selection_is_typed() {
    assert_eq!(ScenarioSelection::parse(" all "), ScenarioSelection::All);
    let s = ScenarioSelection::parse("chain, upgrade,,deploy");
    assert_eq!(
        s,
        ScenarioSelection::Ids(vec!["chain".into(), "upgrade".into(), "deploy".into()])
    );
    assert_eq!(s.to_arg(), "chain,upgrade,deploy");
}

#[test]
fn a_bad_format_is_a_usage_error() {
    let (_d, cfg) = config(SQLDIR);
    let e = RunSettings::resolve(&cli(&["--format", "md,pdf"]), &Env::default(), &cfg).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("unknown format `pdf`"), "{e}");
}

#[test]
fn command_line_lists_and_config_matrix() {
    let (_d, plain) = config(SQLDIR);
    let matrix = |args: &[&str], cfg: &Config| match resolve(args, &[], cfg).servers {
        Servers::Matrix(m) => Some(m),
        Servers::One(_) => None,
    };
    assert_eq!(
        matrix(&["--image", "a:1, b:2"], &plain),
        Some(vec![
            ServerSpec::Image("a:1".into()),
            ServerSpec::Image("b:2".into())
        ])
    );
    assert_eq!(matrix(&["--image", "a:1"], &plain), None);
    assert_eq!(
        matrix(
            &[
                "--server-binary",
                "/x/mariadbd",
                "--server-binary",
                "/y/mysqld"
            ],
            &plain
        ),
        Some(vec![
            ServerSpec::Binary("/x/mariadbd".into()),
            ServerSpec::Binary("/y/mysqld".into())
        ])
    );
    let (d, with) = config(&format!(
        "[server]\nmatrix = [\"m:1\", {{ binary = \"bin/mariadbd\" }}]\n{SQLDIR}"
    ));
    let dir = std::fs::canonicalize(d.path()).unwrap();
    assert_eq!(
        matrix(&[], &with),
        Some(vec![
            ServerSpec::Image("m:1".into()),
            ServerSpec::Binary(dir.join("bin/mariadbd"))
        ])
    );
    // One server on the command line wins over the file: that is what each child gets.
    assert_eq!(matrix(&["--image", "m:1"], &with), None);
}

/// Every flag a user can give, each with a value unlike its default.
const EVERY_FLAG: &[&str] = &[
    "--config",
    "/p/harness.toml",
    "--scenario",
    "chain,upgrade",
    "--image",
    "a:1,b:2",
    "--baseline",
    "r1",
    "--since",
    "v1.2",
    "--format",
    "md,junit",
    "--output-dir",
    "/out",
    "--report-url",
    "https://example.com/report.html",
    "--jobs",
    "3",
    "--timeout",
    "77",
    "--partition",
    "2/3",
    "--verbose",
];

#[test]
fn a_matrix_child_resolves_the_parents_settings_for_its_one_server() {
    let (_d, cfg) = config(SQLDIR);
    let parent = resolve(EVERY_FLAG, &[], &cfg);
    assert!(matches!(parent.servers, Servers::Matrix(_)));
    for spec in [
        ServerSpec::Image("a:1".into()),
        ServerSpec::Binary("/usr/sbin/mariadbd".into()),
    ] {
        let args = parent.to_args(&spec, Path::new("/out/servers/x"));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let child = resolve(&argv, &[], &cfg);
        let (mode, image, binary) = match &spec {
            ServerSpec::Image(i) => (DbMode::Container, i.clone(), None),
            ServerSpec::Binary(b) => (DbMode::Local, DEFAULT_IMAGE.to_string(), Some(b.clone())),
        };
        let expected = RunSettings {
            servers: Servers::One(ProvisionRequest {
                mode,
                image,
                binary,
                database_url: None,
                startup_timeout: Duration::from_secs(DEFAULT_STARTUP_S),
                migrate_as: crate::config::MigrateAs::App,
            }),
            db_flag: Some(mode),
            output_dir: Some("/out/servers/x".into()),
            // The matrix reads each child's report.json.
            formats: vec![Format::Markdown, Format::Junit, Format::Json],
            ..parent.clone()
        };
        assert_eq!(child, expected, "{args:?}");
    }
}

#[test]
fn every_flag_reaches_a_matrix_child_or_is_replaced_on_purpose() {
    // Replaced by the child's one server, or meaningless for a child: the rest must pass on.
    const NOT_PASSED_ON: &[&str] = &[
        "db",
        "image",
        "server_binary",
        "database_url",
        "list_scenarios",
    ];
    let (_d, cfg) = config(SQLDIR);
    let args =
        resolve(EVERY_FLAG, &[], &cfg).to_args(&ServerSpec::Image("a:1".into()), Path::new("/o"));
    for arg in Cli::command().get_arguments() {
        let id = arg.get_id().as_str();
        let Some(long) = arg.get_long() else { continue };
        if matches!(id, "help" | "version") || NOT_PASSED_ON.contains(&id) {
            continue;
        }
        assert!(
            args.iter().any(|a| a == &format!("--{long}")),
            "--{long} is not passed on to matrix children: {args:?}"
        );
    }
}

#[test]
fn the_partition_is_typed_and_reaches_a_matrix_child() {
    let (_d, cfg) = config(SQLDIR);
    let s = resolve(&["--partition", "2/3"], &[], &cfg);
    assert_eq!(s.partition, Some(Partition::new(2, 3).unwrap()));
    let args = s.to_args(&ServerSpec::Image("a:1".into()), Path::new("/o"));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(resolve(&argv, &[], &cfg).partition, s.partition, "{args:?}");
    assert_eq!(resolve(&[], &[], &cfg).partition, None);
    let bad = Cli::try_parse_from(["migration-harness", "--partition", "3/2"]).unwrap_err();
    assert_eq!(bad.exit_code(), 2, "{bad}");
    assert!(
        bad.to_string().contains("K must be between 1 and N"),
        "{bad}"
    );
}
