//! Faults, each with a real server: the harness fails loudly and cleanly,
//! never hangs, never leaks, never touches what it did not create.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{harness, processes_matching, temp_dirs_matching, wait_until};
use mysql_async::prelude::Queryable;

fn sql_project(up3: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo().join("examples/golang-migrate/migrations"),
        &d.path().join("migrations"),
    );
    std::fs::write(d.path().join("migrations/000004_slow.up.sql"), up3).unwrap();
    std::fs::write(
        d.path().join("migrations/000004_slow.down.sql"),
        "SELECT 1;",
    )
    .unwrap();
    std::fs::write(
        d.path().join("harness.toml"),
        "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\n",
    )
    .unwrap();
    d
}

fn cfg(d: &tempfile::TempDir) -> String {
    d.path().join("harness.toml").display().to_string()
}

/// Children of `pid` whose command line contains `needle`.
fn children(pid: u32, needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().nth(1))
            .and_then(|x| x.parse::<u32>().ok());
        let cmd = std::fs::read(e.path().join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .unwrap_or_default();
        if ppid == Some(pid) && cmd.contains(needle) {
            out.push(p);
        }
    }
    out
}

fn spawn(args: &[&str], out: &Path) -> Child {
    Command::new(common::bin())
        .current_dir(common::repo())
        .args(args)
        .arg("--output-dir")
        .arg(out)
        .env("CI", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> (i32, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_dirs_gone(run_id: &str) -> bool {
    temp_dirs_matching(run_id).is_empty()
        && processes_matching(&format!("mh-local-{run_id}")).is_empty()
}

#[test]
fn hung_sql_is_killed_at_the_timeout_and_the_run_continues() {
    let d = sql_project("SELECT SLEEP(600);");
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            &cfg(&d),
            "--scenario",
            "upgrade,chain",
            "--timeout",
            "3",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    for id in ["upgrade", "chain"] {
        let s = r.scenario(id);
        assert_eq!(s["status"], "error", "{id}: {s}");
        assert!(
            s["details"]
                .as_str()
                .unwrap()
                .contains("timed out after 3 s"),
            "{s}"
        );
        assert!(s["duration_ms"].as_u64().unwrap() < 60_000);
    }
    assert!(run_dirs_gone(&common::run_id_of(&r)));
}

#[test]
fn hung_tool_process_is_killed_at_the_timeout() {
    let proj = common::alembic_project_with_head("import time", "    time.sleep(600)");
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            proj.path().join("harness.toml").to_str().unwrap(),
            "--scenario",
            "upgrade",
            "--timeout",
            "4",
        ],
        &[("MH_PYTHON", &venv_python())],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.status("upgrade"), "error");
    assert!(r.scenario("upgrade")["details"]
        .as_str()
        .unwrap()
        .contains("timed out after 4 s and was killed"));
    assert!(processes_matching("d4e5f6a7b8c9").is_empty());
    assert!(
        processes_matching(proj.path().to_str().unwrap()).is_empty(),
        "alembic process survived"
    );
}

fn venv_python() -> String {
    migration_harness::driver::python::cached_venv(&common::repo().join("requirements.txt"))
        .expect("venv prepared by scripts/setup-env.sh")
        .display()
        .to_string()
}

#[test]
fn server_killed_mid_run_exits_3_with_remaining_scenarios_in_error() {
    let d = sql_project("SELECT SLEEP(20);");
    let out = tempfile::tempdir().unwrap();
    let child = spawn(
        &[
            "--db",
            "local",
            "--config",
            &cfg(&d),
            "--scenario",
            "upgrade,downgrade,verify-head",
            "--jobs",
            "1",
        ],
        out.path(),
    );
    let pid = child.id();
    assert!(
        wait_until(Duration::from_secs(60), || !children(pid, "mariadbd")
            .is_empty()),
        "server never started"
    );
    std::thread::sleep(Duration::from_secs(4));
    for p in children(pid, "mariadbd") {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(p as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
    }
    let (code, stderr) = finish(child);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("server stopped answering"), "{stderr}");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(j["status"], "error");
    for s in j["scenarios"].as_array().unwrap() {
        assert_eq!(s["status"], "error", "{s}");
    }
    assert!(temp_dirs_matching("")
        .iter()
        .all(|p| !std::fs::read_to_string(p.join("harness.pid"))
            .unwrap_or_default()
            .contains(&pid.to_string())));
}

#[test]
fn sigterm_during_a_local_run_cleans_up_and_exits_143() {
    let d = sql_project("SELECT SLEEP(60);");
    let out = tempfile::tempdir().unwrap();
    let child = spawn(
        &[
            "--db",
            "local",
            "--config",
            &cfg(&d),
            "--scenario",
            "upgrade",
        ],
        out.path(),
    );
    let pid = child.id();
    assert!(wait_until(Duration::from_secs(60), || !children(
        pid, "mariadbd"
    )
    .is_empty()));
    let server = children(pid, "mariadbd")[0];
    std::thread::sleep(Duration::from_secs(3));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(code, 143, "{stderr}");
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    // What the run knew still reports: the unfinished scenario is an error, and the run
    // says why it stopped.
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("report.json"))
            .unwrap_or_else(|e| panic!("no report after SIGTERM: {e}\n{stderr}")),
    )
    .unwrap();
    assert_eq!(report["status"], "error");
    assert!(report["error"]
        .as_str()
        .unwrap()
        .starts_with("interrupted by SIGTERM"));
    assert_eq!(report["scenarios"][0]["status"], "error");
    assert!(
        !Path::new(&format!("/proc/{server}")).exists()
            || std::fs::read_to_string(format!("/proc/{server}/stat"))
                .unwrap_or_default()
                .contains(") Z"),
        "mariadbd survived"
    );
    let mine: Vec<PathBuf> = temp_dirs_matching("")
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(p.join("harness.pid"))
                .unwrap_or_default()
                .trim()
                == pid.to_string()
        })
        .collect();
    assert!(mine.is_empty(), "temp dirs left: {mine:?}");
}

#[test]
fn sigint_during_a_container_run_removes_the_container_and_exits_130() {
    let d = sql_project("SELECT SLEEP(60);");
    let out = tempfile::tempdir().unwrap();
    let child = spawn(
        &[
            "--db",
            "container",
            "--image",
            &common::image(),
            "--config",
            &cfg(&d),
            "--scenario",
            "upgrade",
        ],
        out.path(),
    );
    let pid = child.id() as i32;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mine = || {
        rt.block_on(migration_harness::provision::labelled_containers_with_pids())
            .unwrap()
            .into_iter()
            .filter(|(_, p)| *p == Some(pid))
            .count()
    };
    assert!(
        wait_until(Duration::from_secs(90), || mine() == 1),
        "container never started"
    );
    std::thread::sleep(Duration::from_secs(8));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(code, 130, "{stderr}");
    assert_eq!(mine(), 0, "container left behind");
}

#[test]
fn auto_falls_back_to_local_when_docker_is_unreachable() {
    let r = harness(
        &[
            "--config",
            "examples/golang-migrate/harness.toml",
            "--scenario",
            "upgrade",
        ],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["server"]["provider"], "local");
}

#[test]
fn ten_megabytes_of_binary_ansi_output_stay_bounded() {
    let proj = common::alembic_project_with_head(
        "import sys",
        "    chunk = b'\\x1b[31mred\\x1b[0m \\xff\\xfe not utf-8 ' * 1000 + b'\\n'\n    for _ in range(400):\n        sys.stdout.buffer.write(chunk)\n    sys.stdout.buffer.write(b'THE END\\n')\n    sys.stdout.flush()",
    );
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            proj.path().join("harness.toml").to_str().unwrap(),
            "--scenario",
            "upgrade",
        ],
        &[("MH_PYTHON", &venv_python())],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for f in ["report.md", "report.html", "report.json", "junit.xml"] {
        let text = r.file(f);
        assert!(text.len() < 1_000_000, "{f} is {} bytes", text.len());
        assert!(!text.contains('\u{1b}'), "ANSI escape in {f}");
    }
    assert!(
        r.file("report.json").contains("THE END"),
        "the tail of the output is kept"
    );
    assert!(r.file("report.json").contains("bytes of output omitted"));
}

#[test]
fn url_mode_leaves_every_other_database_unchanged() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outer = common::local_server(&rt, "tchecksum");
    let checksums = || {
        rt.block_on(async {
            let mut c = outer.conn.connect(None).await.unwrap();
            let dbs: Vec<String> = c
                .query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql','information_schema','performance_schema','sys') ORDER BY 1")
                .await
                .unwrap();
            let mut sums = Vec::new();
            for db in &dbs {
                let tables: Vec<String> = c.exec("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1", (db,)).await.unwrap();
                for t in tables {
                    let row: Option<(String, Option<i64>)> = c.query_first(format!("CHECKSUM TABLE `{db}`.`{t}` EXTENDED")).await.unwrap();
                    sums.push(format!("{db}.{t}={:?}", row.map(|r| r.1)));
                }
            }
            c.disconnect().await.unwrap();
            (dbs, sums)
        })
    };
    rt.block_on(async {
        let mut c = outer.conn.connect(None).await.unwrap();
        for db in ["shop", "mh_other_team"] {
            c.query_drop(format!("CREATE DATABASE {db}")).await.unwrap();
            c.query_drop(format!(
                "CREATE TABLE {db}.user (id int PRIMARY KEY, api_token varchar(64))"
            ))
            .await
            .unwrap();
            c.query_drop(format!("INSERT INTO {db}.user VALUES (1, 'a'), (2, 'b')"))
                .await
                .unwrap();
        }
        c.disconnect().await.unwrap();
    });
    let before = checksums();
    let url = outer.conn.url("mysql", None);
    let r = harness(
        &["--db", "url", "--database-url", &url, "--scenario", "all"],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let after = checksums();
    assert_eq!(
        before, after,
        "a database the harness did not create changed"
    );
    assert!(
        before.0.contains(&"mh_other_team".to_string()),
        "a foreign mh_ database survives"
    );
    rt.block_on(outer.teardown()).unwrap();
}

#[test]
fn clean_removes_leftovers_of_dead_runs_only() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A container and a temp dir whose harness (pid 999999) is dead, and a live one's.
    let run = |args: &[&str]| Command::new("docker").args(args).output().unwrap();
    let dead = run(&[
        "run",
        "-d",
        "--label",
        "io.migration-harness.run=deadrun",
        "--label",
        "io.migration-harness.pid=999999",
        "--entrypoint",
        "sleep",
        &common::image(),
        "300",
    ]);
    assert!(
        dead.status.success(),
        "{}",
        String::from_utf8_lossy(&dead.stderr)
    );
    let dead_id = String::from_utf8_lossy(&dead.stdout).trim().to_string();
    let me = std::process::id().to_string();
    let live = run(&[
        "run",
        "-d",
        "--label",
        "io.migration-harness.run=liverun",
        "--label",
        &format!("io.migration-harness.pid={me}"),
        "--entrypoint",
        "sleep",
        &common::image(),
        "300",
    ]);
    let live_id = String::from_utf8_lossy(&live.stdout).trim().to_string();
    let dead_dir = std::env::temp_dir().join("mh-local-deadrun-test");
    std::fs::create_dir_all(&dead_dir).unwrap();
    std::fs::write(dead_dir.join("harness.pid"), "999999").unwrap();
    let live_dir = std::env::temp_dir().join("mh-local-liverun-test");
    std::fs::create_dir_all(&live_dir).unwrap();
    std::fs::write(live_dir.join("harness.pid"), &me).unwrap();

    let outer = common::local_server(&rt, "tclean");
    let running_user = format!("mh_app_{}abcd", chrono::Utc::now().format("%y%m%d%H%M%S"));
    rt.block_on(async {
        let mut c = outer.conn.connect(None).await.unwrap();
        c.query_drop("CREATE DATABASE mh_200101000000abcd_1")
            .await
            .unwrap();
        c.query_drop("CREATE DATABASE customers").await.unwrap();
        // A killed run's application user, a running one's, and an account of the user's.
        for user in ["mh_app_200101000000abcd", &running_user, "customers_app"] {
            c.query_drop(format!("CREATE USER '{user}'@'%'"))
                .await
                .unwrap();
        }
        c.disconnect().await.unwrap();
    });
    let url = outer.conn.url("mysql", None);
    let out = Command::new(common::bin())
        .args(["clean", "--database-url", &url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let ids = rt
        .block_on(migration_harness::provision::labelled_containers(None))
        .unwrap();
    assert!(!ids.contains(&dead_id), "dead run's container kept");
    assert!(ids.contains(&live_id), "live run's container removed");
    assert!(!dead_dir.exists() && live_dir.exists());
    let dbs: Vec<String> = rt.block_on(async {
        let mut c = outer.conn.connect(None).await.unwrap();
        c.query("SHOW DATABASES").await.unwrap()
    });
    assert!(
        !dbs.contains(&"mh_200101000000abcd_1".to_string())
            && dbs.contains(&"customers".to_string()),
        "{dbs:?}"
    );
    let users: Vec<String> = rt.block_on(async {
        let mut c = outer.conn.connect(None).await.unwrap();
        c.query("SELECT User FROM mysql.user").await.unwrap()
    });
    assert!(
        !users.contains(&"mh_app_200101000000abcd".to_string())
            && users.contains(&running_user)
            && users.contains(&"customers_app".to_string()),
        "{users:?}\n{text}"
    );
    run(&["rm", "-f", &live_id]);
    let _ = std::fs::remove_dir_all(&live_dir);
    rt.block_on(outer.teardown()).unwrap();
}
