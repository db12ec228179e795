//! Exit codes and messages of the CLI contract: usage errors exit 2 with the spot or the
//! valid values, environment errors exit 3 naming the ways to proceed.

use crate::common;

use common::harness;

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn docker_unreachable_under_container_exits_3_naming_alternatives() {
    let r = harness(
        &["--db", "container", "--scenario", "upgrade"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("Docker engine unreachable"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("--db local") && r.stderr.contains("--db url"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_server_binary_under_local_exits_3() {
    let r = harness(
        &[
            "--db",
            "local",
            "--server-binary",
            "/nonexistent/mariadbd",
            "--scenario",
            "upgrade",
        ],
        &[],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("/nonexistent/mariadbd"), "{}", r.stderr);
    assert!(
        r.stderr.contains("apt-get install mariadb-server"),
        "{}",
        r.stderr
    );
}

#[test]
fn malformed_config_exits_2_with_file_line_column() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "harness.toml",
        "[migrations]\ntool = \"flask\"\napp = \"app\"\n\n[scenarios]\ntimeout = 30s\n",
    );
    let r = harness(&["--config", p.to_str().unwrap()], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("{}:6:", p.display())),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_key_exits_2_pointing_at_it() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "harness.toml",
        "[migrations]\ntool = \"flask\"\napp = \"app\"\ndowngrades_required = true\n",
    );
    let r = harness(&["--config", p.to_str().unwrap()], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(":4:1: unknown field `downgrades_required`"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_scenario_and_bad_baseline_exit_2_listing_valid_values() {
    let r = harness(&["--scenario", "upgrade,nope"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "unknown scenario `nope`; valid: all, chain, round-trip, crash-resume, online-ddl, upgrade"
        ),
        "{}",
        r.stderr
    );
    let r = harness(&["--baseline", "deadbeef"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("valid: 6793349c088c"), "{}", r.stderr);
    let r = harness(&["--format", "pdf"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn missing_python_or_tool_exits_3_with_the_install_command() {
    let d = tempfile::tempdir().unwrap();
    common::copy_dir(&common::repo().join("examples/alembic-basic"), d.path());
    let cfg = write(
        d.path(),
        "harness.toml",
        "[migrations]\ntool = \"alembic\"\ndir = \"migrations/versions\"\n[python]\npython = \"/nonexistent/venv/bin/python\"\n",
    );
    let r = harness(&["--config", cfg.to_str().unwrap(), "--db", "local"], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("python3 -m venv") && r.stderr.contains("pip install"),
        "{}",
        r.stderr
    );

    // A Python without alembic: name the pip command.
    let empty = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(empty.path())
        .status()
        .unwrap();
    assert!(st.success());
    let py = empty.path().join("bin/python");
    let r = harness(
        &["--config", cfg.to_str().unwrap(), "--db", "local"],
        &[("MH_PYTHON", py.to_str().unwrap())],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("-m pip install alembic"), "{}", r.stderr);
}

#[test]
fn list_scenarios_prints_one_line_each() {
    let r = harness(&["--list-scenarios"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ids: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(
        ids,
        [
            "chain",
            "round-trip",
            "crash-resume",
            "online-ddl",
            "upgrade",
            "idempotency",
            "downgrade",
            "reproduce-error",
            "reapply",
            "verify-head",
            "deploy",
            "compat",
            "api-token-unique"
        ]
    );
}

#[test]
fn doctor_reports_what_this_machine_has() {
    let out = std::process::Command::new(common::bin())
        .arg("doctor")
        .current_dir(common::repo())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("✔ Docker engine"), "{text}");
    assert!(
        text.contains("✔ server binary") && text.contains("mariadbd"),
        "{text}"
    );
    assert!(text.contains("✔ python3"), "{text}");
    assert!(
        text.contains("usable: --db container, --db local"),
        "{text}"
    );

    let out = std::process::Command::new(common::bin())
        .args(["doctor", "--server-binary", "/nonexistent"])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .current_dir(common::repo())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("✘ Docker engine: unreachable"), "{text}");
    assert!(
        text.contains("✘ server binary /nonexistent: cannot be run"),
        "{text}"
    );
    assert!(
        !out.status.success(),
        "no provider usable must exit non-zero"
    );
}
