//! Code and schema out of step, on a real local server with real Flask-SQLAlchemy models
//! and a git repository each test creates: the previous release (`--since v1`) on the new
//! schema, the new release on the old one, the seed example's drift, SQL-directory probes
//! with `release = "previous"`, and the previous release's files gone after the run and
//! after SIGINT.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::harness;
use serde_json::Value;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=harness-test",
            "-c",
            "user.email=t@example.com",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A Flask-SQLAlchemy model module: `db` and one `User` model with `columns` (Python).
fn model(columns: &str, extra: &str) -> String {
    format!(
        "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\nclass User(db.Model):\n    __tablename__ = \"user\"\n    id = db.Column(db.Integer, primary_key=True)\n    username = db.Column(db.String(64), nullable=False)\n{columns}\n{extra}"
    )
}

fn revision(id: &str, parent: &str, upgrade: &str) -> String {
    let down = if parent.is_empty() {
        "None".to_string()
    } else {
        format!("'{parent}'")
    };
    format!(
        "\"\"\"{id}\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = '{id}'\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{upgrade}\n\n\ndef downgrade():\n    pass\n"
    )
}

const V1_MODEL: &str = "    legacy_name = db.Column(db.String(64))\n";
const V1_TABLE: &str = "    op.create_table('user', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('username', sa.String(64), nullable=False), sa.Column('legacy_name', sa.String(64), nullable=True))";

/// A Flask-Migrate project in a new git repository: release `v1` (one revision, the model
/// using `user.legacy_name`), then the next release: `model` and revision 0002 `upgrade`.
fn flask_project(next_model: &str, upgrade: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir_all(p.join("migrations/versions")).unwrap();
    for f in ["alembic.ini", "env.py", "script.py.mako"] {
        std::fs::copy(
            common::repo()
                .join("examples/flask-seed/migrations")
                .join(f),
            p.join("migrations").join(f),
        )
        .unwrap();
    }
    std::fs::write(
        p.join("harness.toml"),
        format!(
            "[migrations]\ntool = \"flask\"\napp = \"app\"\ndir = \"migrations\"\n[python]\nrequirements = \"{}\"\n",
            common::repo().join("requirements.txt").display()
        ),
    )
    .unwrap();
    std::fs::write(p.join("app.py"), model(V1_MODEL, "")).unwrap();
    std::fs::write(
        p.join("migrations/versions/0001_initial.py"),
        revision("0001", "", V1_TABLE),
    )
    .unwrap();
    git(p, &["init", "-q"]);
    git(p, &["add", "."]);
    git(p, &["commit", "-qm", "v1"]);
    git(p, &["tag", "v1"]);
    std::fs::write(p.join("app.py"), next_model).unwrap();
    std::fs::write(
        p.join("migrations/versions/0002_next.py"),
        revision("0002", "0001", upgrade),
    )
    .unwrap();
    git(p, &["add", "."]);
    git(p, &["commit", "-qm", "next"]);
    d
}

/// A plain Alembic project (env.py imports `metadata` from models.py) in a new git
/// repository: `v1`'s model has `user.legacy_name`; the next release drops it.
fn alembic_project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir_all(p.join("migrations/versions")).unwrap();
    std::fs::copy(
        common::repo().join("examples/seed-alembic/migrations/env.py"),
        p.join("migrations/env.py"),
    )
    .unwrap();
    // The example's ini (logging sections included), its revisions found in `migrations/`.
    let ini = std::fs::read_to_string(common::repo().join("examples/seed-alembic/alembic.ini"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("version_locations"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(p.join("alembic.ini"), ini).unwrap();
    std::fs::write(
        p.join("harness.toml"),
        format!(
            "[migrations]\ntool = \"alembic\"\n[python]\nrequirements = \"{}\"\n",
            common::repo().join("requirements.txt").display()
        ),
    )
    .unwrap();
    let models = |legacy: &str| {
        format!(
            "import sqlalchemy as sa\n\nmetadata = sa.MetaData()\nuser = sa.Table(\"user\", metadata, sa.Column(\"id\", sa.Integer, primary_key=True), sa.Column(\"username\", sa.String(64), nullable=False){legacy})\n"
        )
    };
    std::fs::write(
        p.join("models.py"),
        models(", sa.Column(\"legacy_name\", sa.String(64))"),
    )
    .unwrap();
    std::fs::write(
        p.join("migrations/versions/0001_initial.py"),
        revision("0001", "", V1_TABLE),
    )
    .unwrap();
    git(p, &["init", "-q"]);
    git(p, &["add", "."]);
    git(p, &["commit", "-qm", "v1"]);
    git(p, &["tag", "v1"]);
    std::fs::write(p.join("models.py"), models("")).unwrap();
    std::fs::write(
        p.join("migrations/versions/0002_next.py"),
        revision("0002", "0001", "    op.drop_column('user', 'legacy_name')"),
    )
    .unwrap();
    d
}

/// A private temp dir for the harness: the previous release's files must not outlive it.
fn run_compat(d: &tempfile::TempDir, tmp: &Path, extra: &[&str]) -> common::Run {
    let config = d.path().join("harness.toml").display().to_string();
    let args = [
        &[
            "--db",
            "local",
            "--config",
            config.as_str(),
            "--scenario",
            "compat",
            "--format",
            "json,md",
        ][..],
        extra,
    ]
    .concat();
    harness(&args, &[("TMPDIR", tmp.to_str().unwrap())])
}

fn previous_dirs(tmp: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmp)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().contains("previous-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn compat_findings(run: &common::Run) -> Vec<Value> {
    run.json()["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.get("compat").is_some())
        .collect()
}

fn one(findings: &[Value], kind: &str, column: &str) -> Value {
    let hits: Vec<&Value> = findings
        .iter()
        .filter(|f| f["kind"] == kind && f["compat"]["column"] == column)
        .collect();
    assert_eq!(hits.len(), 1, "one {kind} on {column}: {findings:#?}");
    hits[0].clone()
}

#[test]
fn dropping_a_column_the_previous_model_uses_breaks_the_previous_release() {
    let d = flask_project(&model("", ""), "    op.drop_column('user', 'legacy_name')");
    let tmp = tempfile::tempdir().unwrap();
    let status_before = git(d.path(), &["status", "--porcelain"]);
    let r = run_compat(&d, tmp.path(), &["--since", "v1"]);
    assert_eq!(r.code, 0, "compat defaults to warn: {}", r.stderr);
    let j = r.json();
    assert_eq!(j["baseline"], "0001", "the baseline is v1's head");
    let found = compat_findings(&r);
    let f = one(&found, "breaks_previous_release", "legacy_name");
    assert_eq!(f["revision"], "0002");
    assert_eq!(f["error"]["code"], 1054);
    assert_eq!(f["compat"]["table"], "user");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["statement"].as_str().unwrap().contains("legacy_name"),
        "{f}"
    );
    assert_eq!(
        found.len(),
        1,
        "the new code on the old schema is fine: {found:#?}"
    );
    let md = r.file("report.md");
    assert!(
        md.contains("ship the code that stops using `user.legacy_name` first"),
        "{md}"
    );
    // Nothing left behind, the user's checkout untouched.
    assert!(
        previous_dirs(tmp.path()).is_empty(),
        "{:?}",
        previous_dirs(tmp.path())
    );
    assert_eq!(git(d.path(), &["status", "--porcelain"]), status_before);
    assert_eq!(git(d.path(), &["worktree", "list"]).lines().count(), 1);

    // compat = "required": the same finding fails the run.
    let cfg = d.path().join("harness.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{text}[scenarios]\ncompat = \"required\"\n")).unwrap();
    let strict = run_compat(&d, tmp.path(), &["--since", "v1"]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert_eq!(
        one(
            &compat_findings(&strict),
            "breaks_previous_release",
            "legacy_name"
        )["severity"],
        "blocking"
    );
}

#[test]
fn plain_alembic_reads_the_model_from_env_pys_target_metadata() {
    let d = alembic_project();
    let tmp = tempfile::tempdir().unwrap();
    let r = run_compat(&d, tmp.path(), &["--since", "v1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = compat_findings(&r);
    let f = one(&found, "breaks_previous_release", "legacy_name");
    assert_eq!(f["revision"], "0002");
    assert_eq!(f["error"]["code"], 1054);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(previous_dirs(tmp.path()).is_empty());
}

#[test]
fn a_not_null_column_without_default_breaks_the_previous_releases_insert() {
    let d = flask_project(
        &model(
            &format!("{V1_MODEL}    email = db.Column(db.String(120), nullable=False)\n"),
            "",
        ),
        "    op.add_column('user', sa.Column('email', sa.String(120), nullable=False))",
    );
    let tmp = tempfile::tempdir().unwrap();
    let r = run_compat(&d, tmp.path(), &["--since", "v1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = compat_findings(&r);
    let f = one(&found, "breaks_previous_release", "email");
    assert_eq!(f["error"]["code"], 1364);
    assert_eq!(f["revision"], "0002");
    assert_eq!(f["compat"]["op"], "insert");
    // The new code needs the column its own migration adds: migrate first, no finding.
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(previous_dirs(tmp.path()).is_empty());
}

#[test]
fn a_rename_fails_both_ways() {
    let d = flask_project(
        &model("    display_name = db.Column(db.String(64))\n", ""),
        "    op.alter_column('user', 'legacy_name', new_column_name='display_name', existing_type=sa.String(64), existing_nullable=True)",
    );
    let tmp = tempfile::tempdir().unwrap();
    let r = run_compat(&d, tmp.path(), &["--since", "v1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = compat_findings(&r);
    let old = one(&found, "breaks_previous_release", "legacy_name");
    let new = one(&found, "code_ahead_of_schema", "display_name");
    for f in [&old, &new] {
        assert_eq!(f["error"]["code"], 1054, "{f}");
        assert_eq!(f["revision"], "0002", "{f}");
        assert_eq!(f["compat"]["cause"]["by"], "revision", "{f}");
    }
    assert_eq!(found.len(), 2, "{found:#?}");
}

#[test]
fn an_expand_only_change_is_silent() {
    let next = model(
        &format!(
            "{V1_MODEL}    nickname = db.Column(db.String(64))\n    score = db.Column(db.Integer, nullable=False, server_default=\"0\")\n"
        ),
        "\n\nclass Tag(db.Model):\n    __tablename__ = \"tag\"\n    id = db.Column(db.Integer, primary_key=True)\n    label = db.Column(db.String(32), nullable=False)\n",
    );
    let d = flask_project(
        &next,
        "    op.add_column('user', sa.Column('nickname', sa.String(64), nullable=True))\n    op.add_column('user', sa.Column('score', sa.Integer(), nullable=False, server_default='0'))\n    op.create_table('tag', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('label', sa.String(32), nullable=False))\n    op.create_index('ix_user_username', 'user', ['username'])",
    );
    let tmp = tempfile::tempdir().unwrap();
    let r = run_compat(&d, tmp.path(), &["--since", "v1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(compat_findings(&r), Vec::<Value>::new());
    let s = r.scenario("compat");
    assert_eq!(s["status"], "passed", "{s}");
    assert!(s["warnings"].as_array().is_none_or(|w| w.is_empty()), "{s}");
    // Both checks ran: the previous release's statements and the new one's.
    let ran: Vec<&Value> = s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["action"] == "release_code")
        .collect();
    assert_eq!(ran.len(), 2);
    assert!(ran.iter().all(|st| st["status"] == "passed"), "{ran:#?}");
}

#[test]
fn the_seed_examples_missing_api_token_is_one_finding() {
    let r = harness(
        &[
            "--db",
            "local",
            "--scenario",
            "compat,deploy,reproduce-error",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let hits: Vec<Value> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["error"]["code"] == 1054 && f.to_string().contains("api_token"))
        .cloned()
        .collect();
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let f = &hits[0];
    assert_eq!(f["compat"]["code"], "next", "{f}");
    assert_eq!(f["compat"]["table"], "user");
    assert_eq!(f["compat"]["column"], "api_token");
    assert_eq!(f["compat"]["cause"]["by"], "drift");
    let seen: Vec<&str> = f["seen_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert!(
        seen.contains(&"compat") && seen.contains(&"deploy"),
        "{seen:?}"
    );
}

#[test]
fn sql_directory_probes_speak_for_the_previous_release() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir_all(p.join("migrations")).unwrap();
    let write =
        |name: &str, text: &str| std::fs::write(p.join("migrations").join(name), text).unwrap();
    write(
        "000001_accounts.up.sql",
        "CREATE TABLE accounts (id int NOT NULL AUTO_INCREMENT, name varchar(40) NOT NULL, legacy varchar(40) NULL, PRIMARY KEY (id));",
    );
    write("000001_accounts.down.sql", "DROP TABLE accounts;");
    std::fs::write(
        p.join("harness.toml"),
        "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\n\n\
         [[probes]]\nname = \"list accounts\"\nsql = \"SELECT id, name FROM accounts\"\n\n\
         [[probes]]\nname = \"old account page\"\nsql = \"SELECT id, legacy FROM accounts\"\nrelease = \"previous\"\n",
    )
    .unwrap();
    git(p, &["init", "-q"]);
    git(p, &["add", "."]);
    git(p, &["commit", "-qm", "v1"]);
    git(p, &["tag", "v1"]);
    write(
        "000002_drop_legacy.up.sql",
        "ALTER TABLE accounts DROP COLUMN legacy;",
    );
    write(
        "000002_drop_legacy.down.sql",
        "ALTER TABLE accounts ADD COLUMN legacy varchar(40) NULL;",
    );
    let tmp = tempfile::tempdir().unwrap();
    let r = run_compat(&d, tmp.path(), &["--since", "v1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = compat_findings(&r);
    let f = one(&found, "breaks_previous_release", "legacy");
    assert_eq!(f["compat"]["table"], "accounts");
    assert_eq!(f["compat"]["op"], "probe");
    assert_eq!(f["revision"], "000002");
    assert_eq!(found.len(), 1, "{found:#?}");

    // `[compat] previous` names the same release without --since.
    let cfg = p.join("harness.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{text}\n[compat]\nprevious = \"v1\"\n")).unwrap();
    let configured = run_compat(&d, tmp.path(), &[]);
    assert_eq!(configured.json()["baseline"], "000001");
    let f = one(
        &compat_findings(&configured),
        "breaks_previous_release",
        "legacy",
    );
    assert_eq!(f["revision"], "000002");
    std::fs::write(&cfg, text).unwrap();

    // Without a previous release, the previous check is skipped and says why.
    let alone = run_compat(&d, tmp.path(), &[]);
    let steps = alone.scenario("compat")["steps"].clone();
    let prev = steps
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "release_code")
        .nth(1)
        .cloned()
        .unwrap();
    assert_eq!(prev["status"], "skipped", "{prev}");
    assert!(previous_dirs(tmp.path()).is_empty());
}

#[test]
fn sigint_removes_the_previous_release() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    let d = flask_project(&model("", ""), "    op.drop_column('user', 'legacy_name')");
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let config = d.path().join("harness.toml");
    let mut child = Command::new(common::bin())
        .args([
            "--db",
            "local",
            "--scenario",
            "compat",
            "--since",
            "v1",
            "--config",
        ])
        .arg(&config)
        .arg("--output-dir")
        .arg(out.path())
        .env("TMPDIR", tmp.path())
        .env("CI", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Once the release's tree is extracted, interrupt.
    let appeared = common::wait_until(Duration::from_secs(60), || {
        previous_dirs(tmp.path())
            .iter()
            .any(|p| p.join("tree/app.py").exists())
    });
    assert!(appeared, "the previous release was never extracted");
    std::thread::sleep(Duration::from_millis(300));
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        previous_dirs(tmp.path()).is_empty(),
        "{:?}",
        previous_dirs(tmp.path())
    );
    assert_eq!(git(d.path(), &["worktree", "list"]).lines().count(), 1);
}
