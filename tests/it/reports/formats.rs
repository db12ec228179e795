//! Every format renders the same truth; snapshots of a passing and a failing run of
//! the seed example; the committed sample is current; secrets and markup never leak.

use crate::common;

use std::path::Path;
use std::sync::OnceLock;

use common::{harness, normalize, Run};

const PASSING: &str = "upgrade,idempotency,downgrade,reproduce-error,reapply,verify-head";

/// The demo run (all scenarios, chain fails) — shared by the tests that read it.
fn failing_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| harness(&["--db", "local", "--scenario", "all", "--jobs", "2"], &[]))
}

fn passing_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| harness(&["--db", "local", "--scenario", PASSING], &[]))
}

fn snapshot_all(prefix: &str, run: &Run) {
    for (name, file) in [
        ("md", "report.md"),
        ("html", "report.html"),
        ("json", "report.json"),
        ("junit", "junit.xml"),
    ] {
        let text = run.file(file);
        assert!(!text.is_empty(), "{file} missing: {}", run.stderr);
        insta::assert_snapshot!(format!("{prefix}_{name}"), normalize(&text));
    }
}

#[test]
fn passing_run_snapshots() {
    let r = passing_run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["status"], "passed");
    assert!(r.file("report.md").contains("🟢 **GO FOR PRODUCTION**"));
    snapshot_all("passing", r);
}

#[test]
fn failing_run_snapshots() {
    let r = failing_run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.json()["status"], "failed");
    let md = r.file("report.md");
    assert!(md.contains("🔴 **NO-GO**"));
    assert!(r
        .file("report.html")
        .contains("NOT RECOMMENDED FOR PRODUCTION DEPLOYMENT"));
    snapshot_all("failing", r);
}

#[test]
fn committed_sample_report_is_current() {
    let r = failing_run();
    let sample = common::repo().join("reports/sample");
    for file in ["report.md", "report.html", "report.json", "junit.xml"] {
        let committed = std::fs::read_to_string(sample.join(file))
            .unwrap_or_else(|_| panic!("reports/sample/{file} missing: regenerate with `cargo run -- --scenario all --db local --jobs 2 --output-dir reports/sample`"));
        assert_eq!(
            normalize(&committed),
            normalize(&r.file(file)),
            "reports/sample/{file} is stale: regenerate with `cargo run -- --scenario all --db local --jobs 2 --output-dir reports/sample`"
        );
    }
}

#[test]
fn report_status_and_exit_code_agree() {
    for (r, code, status) in [(passing_run(), 0, "passed"), (failing_run(), 1, "failed")] {
        assert_eq!(r.code, code);
        assert_eq!(r.json()["status"], status);
    }
}

#[test]
fn junit_has_a_suite_per_scenario_and_a_case_per_step() {
    use quick_xml::events::Event;
    let r = failing_run();
    let xml = r.file("junit.xml");
    let mut reader = quick_xml::Reader::from_str(&xml);
    // suite name → (cases, failures, skipped)
    let mut suites: Vec<(String, usize, usize, usize)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            Event::Start(e) | Event::Empty(e) => {
                let last = suites.last_mut();
                match (e.name().as_ref(), last) {
                    (b"testsuite", _) => {
                        let name = e
                            .try_get_attribute("name")
                            .unwrap()
                            .unwrap()
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned();
                        suites.push((name, 0, 0, 0));
                    }
                    (b"testcase", Some(s)) => s.1 += 1,
                    (b"failure" | b"error", Some(s)) => s.2 += 1,
                    (b"skipped", Some(s)) => s.3 += 1,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let j = r.json();
    let scenarios = j["scenarios"].as_array().unwrap();
    assert_eq!(suites.len(), scenarios.len(), "one suite per scenario");
    for (sc, (name, cases, failures, skipped)) in scenarios.iter().zip(&suites) {
        let id = sc["id"].as_str().unwrap();
        assert!(name.starts_with(id), "{name} for {id}");
        let steps = sc["steps"].as_array().map_or(0, |s| s.len());
        assert!(
            *cases >= steps.max(1),
            "{id}: {cases} cases for {steps} steps"
        );
        match sc["status"].as_str().unwrap() {
            "failed" | "error" => assert!(*failures > 0, "{id} failed without a failing case"),
            "passed" => assert_eq!(*failures, 0, "{id} passed with a failing case"),
            "skipped" => assert!(*skipped > 0, "{id} skipped without a skipped case"),
            other => panic!("{other}"),
        }
    }
    assert!(
        xml.contains("testcase name=\"chain / walk down"),
        "a case per walk step"
    );
}

#[test]
fn html_marks_are_css_and_svg_not_emoji_and_markdown_keeps_them() {
    let r = failing_run();
    let html = r.file("report.html");
    for emoji in ["✅", "❌", "⚠️", "⏭️", "🟢", "🔴", "⭐"] {
        assert!(!html.contains(emoji), "{emoji} in the HTML");
    }
    assert!(html.contains(r#"<svg class="mark fail""#), "no fail mark");
    assert!(html.contains(r#"<svg class="mark pass""#), "no pass mark");
    assert!(
        r.file("report.md").contains("❌"),
        "markdown keeps its emoji"
    );
}

#[test]
fn words_fit_alembic_and_the_rollback_claims_only_what_ran() {
    let r = passing_run();
    let md = r.file("report.md");
    let html = r.file("report.html");
    assert!(html.contains("linked by down_revision"), "Alembic words");
    assert!(!html.contains("versions in order"));
    let j = r.json();
    let seeded = j["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "downgrade")
        .and_then(|s| s["steps"].as_array())
        .is_some_and(|st| {
            st.iter()
                .any(|x| x["action"] == "seed_data" && x["status"] == "passed")
        });
    assert!(seeded, "the seed example's downgrade seeds rows");
    assert!(md.contains("was verified with rows seeded"), "{md}");
}

#[test]
fn html_renders_in_headless_chromium_without_console_errors() {
    let r = failing_run();
    let html = r.out.path().join("report.html");
    let shot = r.out.path().join("report.png");
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=390,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium (installed by scripts/setup-env.sh)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot too small: {} bytes",
        png.len()
    );
    let console: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console errors: {console:?}");
    if let Ok(dir) = std::env::var("MH_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, Path::new(&dir).join("report.png")).unwrap();
    }
}

/// The page as headless Chromium leaves it after its scripts ran, opened at `fragment`.
fn dump_dom(html: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}#{fragment}", html.display()))
        .output()
        .expect("chromium (installed by scripts/setup-env.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `(kind, hidden)` of every row of the findings table in a dumped DOM.
fn finding_rows(dom: &str) -> Vec<(String, bool)> {
    let row = regex::Regex::new(r#"<tr class="finding"([^>]*)>"#).unwrap();
    let kind = regex::Regex::new(r#"data-kind="([a-z_]+)""#).unwrap();
    row.captures_iter(dom)
        .map(|c| {
            let attrs = &c[1];
            (
                kind.captures(attrs).unwrap()[1].to_string(),
                attrs.contains("hidden"),
            )
        })
        .collect()
}

#[test]
fn html_findings_table_filtered_by_kind_shows_only_that_kind() {
    let r = failing_run();
    let html = r.out.path().join("report.html");
    let all = finding_rows(&dump_dom(&html, ""));
    assert!(all.len() >= 3, "{all:?}");
    assert!(all.iter().all(|(_, hidden)| !hidden), "unfiltered: {all:?}");
    let kind = "not_resumable";
    let others = all.iter().filter(|(k, _)| k != kind).count();
    assert!(others > 0 && others < all.len(), "{all:?}");
    let rows = finding_rows(&dump_dom(&html, &format!("kind={kind}")));
    assert_eq!(rows.len(), all.len(), "rows are hidden, not removed");
    for (k, hidden) in &rows {
        assert_eq!(*hidden, k != kind, "{k} with filter kind={kind}: {rows:?}");
    }
    // Severity and search filter the same table; together they narrow it.
    let rows = finding_rows(&dump_dom(&html, "severity=blocking&q=api_token"));
    assert!(rows.iter().any(|(_, hidden)| !hidden), "{rows:?}");
    assert!(rows.iter().any(|(_, hidden)| *hidden), "{rows:?}");
}

#[test]
fn planted_password_and_script_tag_never_leak() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outer = common::local_server(&rt, "tleak");
    let secret = "Pl4nted-S3cret!x";
    rt.block_on(async {
        use mysql_async::prelude::Queryable;
        let mut c = outer.conn.connect(None).await.unwrap();
        c.query_drop(format!(
            "CREATE USER 'planted'@'%' IDENTIFIED BY '{secret}'"
        ))
        .await
        .unwrap();
        c.query_drop("GRANT ALL ON *.* TO 'planted'@'%' WITH GRANT OPTION")
            .await
            .unwrap();
        c.query_drop(format!(
            "CREATE USER 'planted'@'localhost' IDENTIFIED BY '{secret}'"
        ))
        .await
        .unwrap();
        c.query_drop("GRANT ALL ON *.* TO 'planted'@'localhost' WITH GRANT OPTION")
            .await
            .unwrap();
        c.disconnect().await.unwrap();
    });
    let proj = tempfile::tempdir().unwrap();
    common::copy_dir(&common::repo().join("examples/alembic-basic"), proj.path());
    std::fs::write(
        proj.path()
            .join("migrations/versions/d4e5f6a7b8c9_noisy.py"),
        format!(
            r#""""noisy <script>alert('x')</script> | pipe

Revision ID: d4e5f6a7b8c9
"""
import os, sys
from alembic import op

revision = "d4e5f6a7b8c9"
down_revision = "c3d2e1f0a9b8"
branch_labels = None
depends_on = None


def upgrade():
    url = os.environ["DATABASE_URL"]
    print("connecting to", url, "<script>alert('out')</script>")
    print("password is {secret} ```", file=sys.stderr)
    raise RuntimeError("cannot reach " + url + " <script>alert('err')</script>")


def downgrade():
    pass
"#
        ),
    )
    .unwrap();
    std::fs::write(
        proj.path().join("harness.toml"),
        format!(
            "[migrations]\ntool = \"alembic\"\ndir = \"migrations/versions\"\n[python]\nrequirements = \"{}\"\n",
            common::repo().join("requirements.txt").display()
        ),
    )
    .unwrap();
    let url = format!(
        "mysql://planted:{}@127.0.0.1:{}/",
        "Pl4nted-S3cret%21x", outer.conn.port
    );
    let cfg = proj.path().join("harness.toml");
    let r = harness(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--db",
            "url",
            "--database-url",
            &url,
            "--scenario",
            "chain,upgrade",
            "--verbose",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut everything = format!("{}{}", r.stdout, r.stderr);
    for f in ["report.md", "report.html", "report.json", "junit.xml"] {
        everything.push_str(&r.file(f));
    }
    assert!(
        everything.contains("connecting to"),
        "the migration's output is in the report: {everything}"
    );
    for leak in [secret, "Pl4nted-S3cret", "S3cret%21x"] {
        assert!(!everything.contains(leak), "leaked {leak}");
    }
    let html = r.file("report.html");
    assert!(
        !html.contains("<script>alert"),
        "unescaped <script> in HTML"
    );
    assert!(
        html.contains("&#60;script&#62;alert") || html.contains("&lt;script&gt;alert"),
        "escaped text missing"
    );
    rt.block_on(outer.teardown()).unwrap();
}

#[test]
fn github_step_summary_and_annotations_point_at_the_failing_migration() {
    let summary = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(summary.path(), "previous step\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(common::bin())
        .current_dir(common::repo())
        .args([
            "--db",
            "local",
            "--config",
            "examples/flask-seed/harness.broken.toml",
            "--scenario",
            "idempotency",
        ])
        .arg("--output-dir")
        .arg(out.path())
        .env("GITHUB_STEP_SUMMARY", summary.path())
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(summary.path()).unwrap();
    // The job summary is the PR comment's body, appended after what was there.
    let marker = migration_harness::report::pr_comment::MARKER;
    assert!(
        text.starts_with(&format!("previous step\n{marker}\n## ")),
        "appended, not replaced: {text}"
    );
    assert!(text.contains("**Head:** `d1f2e3c4b5a6`"), "{text}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("::error file="))
        .unwrap_or_else(|| panic!("no annotation: {stdout}"));
    assert!(
        line.starts_with("::error file=examples/flask-seed/migrations-broken/versions/d1f2e3c4b5a6_fix_api_token_column.py,line="),
        "{line}"
    );
    assert!(
        line.contains("1060 Duplicate column name 'api_token'"),
        "{line}"
    );
    // One annotation per finding: the defect is not repeated per step that saw it.
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(
        annotations.len(),
        report["findings"].as_array().unwrap().len(),
        "{annotations:#?}"
    );
}
