//! Partitioned runs against a real local server: a generated 55-revision golang-migrate
//! chain (30 empty downgrades, a failing downgrade at the head) run whole and as partitions
//! 1/2 and 2/2; `merge` folds the partitions into the whole run's findings, verdict and
//! exit code, and refuses reports that do not add up, naming the file.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{harness, Run};
use serde_json::Value;

const REVISIONS: usize = 55;

/// 000001 creates `t1`, every later revision adds a column; down files drop it, except
/// 20..=49 (empty) and the head's, which drops a column that is not there.
fn generate(dir: &Path) {
    let m = dir.join("migrations");
    std::fs::create_dir_all(&m).unwrap();
    for i in 1..=REVISIONS {
        let (up, down) = match i {
            1 => (
                "CREATE TABLE t1 (id int NOT NULL, PRIMARY KEY (id));".to_string(),
                "DROP TABLE t1;".to_string(),
            ),
            REVISIONS => (
                format!("ALTER TABLE t1 ADD COLUMN c{i} int NULL;"),
                "ALTER TABLE t1 DROP COLUMN nope_55;".to_string(),
            ),
            20..=49 => (
                format!("ALTER TABLE t1 ADD COLUMN c{i} int NULL;"),
                String::new(),
            ),
            _ => (
                format!("ALTER TABLE t1 ADD COLUMN c{i} int NULL;"),
                format!("ALTER TABLE t1 DROP COLUMN c{i};"),
            ),
        };
        std::fs::write(m.join(format!("{i:06}_c{i}.up.sql")), up).unwrap();
        std::fs::write(m.join(format!("{i:06}_c{i}.down.sql")), down).unwrap();
    }
    std::fs::write(
        dir.join("harness.toml"),
        "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\ndir = \"migrations\"\n",
    )
    .unwrap();
}

/// The chain, its whole run and its two partitions (each run once for every test).
struct Runs {
    chain: tempfile::TempDir,
    whole: Run,
    parts: [Run; 2],
}

fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let chain = tempfile::tempdir().unwrap();
        generate(chain.path());
        let cfg = chain.path().join("harness.toml");
        let run = |extra: &[&str]| {
            let mut args = vec![
                "--config",
                cfg.to_str().unwrap(),
                "--db",
                "local",
                "--scenario",
                "all",
                "--jobs",
                "2",
                "--format",
                "md,json",
            ];
            args.extend_from_slice(extra);
            harness(&args, &[])
        };
        Runs {
            whole: run(&[]),
            parts: [run(&["--partition", "1/2"]), run(&["--partition", "2/2"])],
            chain,
        }
    })
}

/// Runs `migration-harness merge` on `dirs`, writing into a new temp dir.
fn merge(dirs: &[&Path], formats: &str) -> (i32, String, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(common::bin())
        .arg("merge")
        .args(dirs)
        .args(["--format", formats, "--output-dir"])
        .arg(out.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    (o.status.code().unwrap_or(-1), text, out)
}

fn json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

/// What a scenario concluded, without its timings and scratch databases.
fn conclusions(report: &Value) -> Vec<(String, String, String, usize)> {
    report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
                common::normalize(s["details"].as_str().unwrap()),
                s["steps"].as_array().unwrap().len(),
            )
        })
        .collect()
}

#[test]
fn two_partitions_merged_give_the_whole_runs_findings_verdict_and_exit_code() {
    let r = runs();
    assert_eq!(
        r.whole.code, 1,
        "the head's downgrade fails: {}",
        r.whole.stderr
    );
    let whole = r.whole.json();
    assert!(whole["partition"].is_null(), "a whole run is not partial");
    // Each partition did the per-revision work of its share of the chain (partition 1, which
    // also runs the whole-chain scenarios, two revisions in five), and says so.
    let mut mine: Vec<String> = Vec::new();
    for (k, part) in r.parts.iter().enumerate() {
        let j = part.json();
        assert_eq!(j["partition"]["index"], k + 1, "{}", part.stderr);
        assert_eq!(j["partition"]["count"], 2);
        let revs = j["partition"]["revisions"].as_array().unwrap();
        assert_eq!(revs.len(), [22, 33][k], "{revs:?}");
        mine.extend(revs.iter().map(|v| v.as_str().unwrap().to_string()));
        let trips = j["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "round-trip")
            .unwrap()["steps"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(trips, revs.len(), "one round trip per revision of its own");
        assert!(
            part.file("report.md")
                .contains(&format!("PARTIAL: partition {}/2", k + 1)),
            "partition {} does not say it is partial",
            k + 1
        );
    }
    mine.sort();
    mine.dedup();
    assert_eq!(
        mine.len(),
        REVISIONS,
        "every revision in exactly one partition"
    );
    // The whole-chain scenarios ran in partition 1 only.
    assert_eq!(r.parts[0].status("chain"), "failed");
    assert_eq!(r.parts[1].status("chain"), "skipped");

    let dirs: Vec<&Path> = r.parts.iter().map(|p| p.out.path()).collect();
    let (code, text, out) = merge(&dirs, "md,html,json,junit");
    assert_eq!(code, r.whole.code, "{text}");
    let merged = json(out.path());
    assert!(merged["partition"].is_null(), "the merged report is whole");
    assert_eq!(merged["status"], whole["status"]);
    assert_eq!(
        merged["findings"], whole["findings"],
        "the merged findings are the whole run's"
    );
    assert_eq!(whole["findings"].as_array().unwrap().len(), 62);
    assert_eq!(conclusions(&merged), conclusions(&whole));
    assert_eq!(merged["chain"], whole["chain"]);
    for f in ["report.md", "report.html", "junit.xml"] {
        assert!(out.path().join(f).exists(), "no merged {f}");
    }
    assert!(!std::fs::read_to_string(out.path().join("report.md"))
        .unwrap()
        .contains("PARTIAL"));
}

/// A copy of partition `k`'s output with `edit` applied to its report.json.
fn edited(k: usize, edit: impl Fn(&mut Value)) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let mut j = runs().parts[k].json();
    edit(&mut j);
    std::fs::write(d.path().join("report.json"), j.to_string()).unwrap();
    d
}

fn refused(dirs: &[&Path], names: &Path, says: &str) {
    let (code, text, _) = merge(dirs, "json");
    assert_eq!(code, 2, "a usage error: {text}");
    assert!(
        text.contains(&names.display().to_string()),
        "names {}: {text}",
        names.display()
    );
    assert!(text.contains(says), "says `{says}`: {text}");
}

#[test]
fn merge_refuses_reports_that_do_not_add_up_naming_the_file() {
    let r = runs();
    let (one, two) = (r.parts[0].out.path(), r.parts[1].out.path());
    // No report.json in the directory.
    let empty = tempfile::tempdir().unwrap();
    refused(
        &[one, empty.path()],
        &empty.path().join("report.json"),
        "cannot read",
    );
    // Not JSON, or not a run's report.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("report.json"),
        "{\"schema_version\": 2, \"status\": ",
    )
    .unwrap();
    refused(
        &[one, broken.path()],
        &broken.path().join("report.json"),
        "is not a run's report.json",
    );
    // Another chain's partition.
    let other = edited(1, |j| j["head"] = "ffffff".into());
    refused(
        &[one, other.path()],
        &other.path().join("report.json"),
        "its head is ffffff, not 000055",
    );
    // A partition missing, given twice, or of another count.
    let (code, text, _) = merge(&[one], "json");
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("partition 2/2 of MariaDB") && text.contains("is missing"),
        "{text}"
    );
    assert!(
        text.contains(&one.join("report.json").display().to_string()),
        "{text}"
    );
    refused(
        &[one, one],
        &one.join("report.json"),
        "are both partition 1/2",
    );
    let three = edited(1, |j| j["partition"]["count"] = 3.into());
    refused(
        &[one, three.path()],
        &three.path().join("report.json"),
        "is partition 2/3",
    );
    // A whole run with partitions of the same server.
    refused(
        &[r.whole.out.path(), two],
        &r.whole.out.path().join("report.json"),
        "is a whole run",
    );
}

#[test]
fn merging_matrix_children_gives_their_server_matrix() {
    // Two servers' whole runs of one chain: the partitions' chain on the local server and
    // in the MariaDB image, each a child a matrix (or a CI job per server) would leave.
    let r = runs();
    let cfg = r.chain.path().join("harness.toml");
    let image = common::image();
    let container = harness(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--db",
            "container",
            "--image",
            &image,
            "--scenario",
            "upgrade,downgrade",
            "--format",
            "json",
        ],
        &[],
    );
    let local = harness(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--db",
            "local",
            "--scenario",
            "upgrade,downgrade",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(container.code, 1, "{}", container.stderr);
    assert_eq!(local.code, 1, "{}", local.stderr);
    let (code, text, out) = merge(&[local.out.path(), container.out.path()], "md,json");
    assert_eq!(code, 1, "{text}");
    let m = json(out.path());
    let servers = m["matrix"]["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{m}");
    let rows: Vec<Vec<&str>> = m["matrix"]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["status"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(rows, [["passed", "passed"], ["failed", "failed"]], "{m}");
    assert!(
        m["matrix"]["divergences"].as_array().unwrap().is_empty(),
        "same failure on both"
    );
    // Each server's own report, typed and whole, is embedded and beside the matrix.
    for (i, run) in [&local, &container].iter().enumerate() {
        assert_eq!(m["runs"][i]["report"]["findings"], run.json()["findings"]);
        let label = m["runs"][i]["label"].as_str().unwrap();
        let own: PathBuf = out.path().join("servers").join(label).join("report.json");
        assert!(own.exists(), "{}", own.display());
    }
    assert!(std::fs::read_to_string(out.path().join("report.md"))
        .unwrap()
        .contains("# Server Matrix"));
}
