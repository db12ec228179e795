//! The GitHub workflows and the composite action cannot run here, so their
//! references are checked: inputs used are declared, files named exist, and every flag
//! passed to migration-harness is one it accepts.

use crate::common;

use serde_yaml::Value;

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(common::repo().join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn help_flags() -> Vec<String> {
    let out = std::process::Command::new(common::bin())
        .arg("--help")
        .output()
        .unwrap();
    let re = regex::Regex::new(r"--[a-z][a-z-]*").unwrap();
    re.find_iter(&String::from_utf8_lossy(&out.stdout))
        .map(|m| m.as_str().to_string())
        .collect()
}

/// Shell commands of every `run:` step, continuation lines joined.
fn run_commands(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut visit = |steps: &Value| {
        for s in steps.as_sequence().into_iter().flatten() {
            if let Some(run) = s.get("run").and_then(Value::as_str) {
                out.extend(run.replace("\\\n", " ").lines().map(str::to_string));
            }
        }
    };
    if let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) {
        for (_, job) in jobs {
            visit(&job["steps"]);
        }
    }
    if let Some(runs) = doc.get("runs") {
        visit(&runs["steps"]);
    }
    out
}

fn check_harness_flags(doc: &Value, file: &str) {
    let flags = help_flags();
    let re = regex::Regex::new(r"--[a-z][a-z-]*").unwrap();
    let mut checked = 0;
    for cmd in run_commands(doc) {
        let Some(i) = cmd
            .find("migration-harness\"")
            .or_else(|| cmd.find("migration-harness "))
        else {
            continue;
        };
        for f in re.find_iter(&cmd[i..]) {
            assert!(
                flags.iter().any(|x| x == f.as_str()),
                "{file}: migration-harness has no flag {}",
                f.as_str()
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "{file}: no migration-harness invocation found");
}

#[test]
fn migrations_workflow_is_consistent() {
    let doc = load(".github/workflows/migrations.yml");
    let on = &doc["on"];
    assert!(on["pull_request"]["paths"]
        .as_sequence()
        .is_some_and(|p| !p.is_empty()));
    let images: Vec<&str> = doc["jobs"]["scenarios"]["strategy"]["matrix"]["image"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for want in ["mysql:8.0", "mysql:8.4", "mariadb:11"] {
        assert!(images.contains(&want), "matrix lacks {want}");
    }
    check_harness_flags(&doc, "migrations.yml");
    for cmd in run_commands(&doc) {
        for word in cmd
            .split_whitespace()
            .filter(|w| w.ends_with("harness.toml"))
        {
            assert!(
                common::repo().join(word).exists(),
                "migrations.yml names {word}, which does not exist"
            );
        }
    }
    let steps = doc["jobs"]["scenarios"]["steps"].as_sequence().unwrap();
    assert!(steps.iter().any(|s| s["uses"]
        .as_str()
        .is_some_and(|u| u.starts_with("actions/upload-artifact"))));
}

#[test]
fn composite_action_declares_what_it_uses() {
    let doc = load("action.yml");
    assert_eq!(doc["runs"]["using"], "composite");
    let inputs = doc["inputs"].as_mapping().unwrap();
    for want in ["config", "scenarios", "image", "formats"] {
        assert!(inputs.contains_key(want), "input {want} missing");
    }
    let outputs = doc["outputs"].as_mapping().unwrap();
    for want in ["status", "report-path"] {
        assert!(outputs.contains_key(want), "output {want} missing");
    }
    let text = std::fs::read_to_string(common::repo().join("action.yml")).unwrap();
    let re = regex::Regex::new(r"inputs\.([a-z-]+)").unwrap();
    for c in re.captures_iter(&text) {
        assert!(
            inputs.contains_key(&c[1]),
            "action.yml uses undeclared input {}",
            &c[1]
        );
    }
    let re = regex::Regex::new(r"steps\.run\.outputs\.([a-z-]+)").unwrap();
    for c in re.captures_iter(&text) {
        assert!(
            text.contains(&format!("echo \"{}=", &c[1])),
            "output {} is never written",
            &c[1]
        );
    }
    check_harness_flags(&doc, "action.yml");
}

#[test]
fn release_workflow_attaches_files_the_harness_writes() {
    let doc = load(".github/workflows/release.yml");
    check_harness_flags(&doc, "release.yml");
    let cmds = run_commands(&doc).join("\n");
    for f in ["report.md", "report.html"] {
        assert!(
            cmds.contains(&format!("release-report/{f}")),
            "release.yml does not attach {f}"
        );
    }
    assert!(cmds.contains("--output-dir release-report"));
}

#[test]
fn release_builds_linux_binaries_with_checksums() {
    let doc = load(".github/workflows/release.yml");
    let targets: Vec<&str> = doc["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|t| t["target"].as_str())
        .collect();
    assert_eq!(
        targets,
        ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
    );
    let cmds = run_commands(&doc).join("\n");
    assert!(cmds.contains("cargo build --release --locked --target"));
    assert!(cmds.contains("sha256sum \"$asset\" > \"$asset.sha256\""));
    assert!(cmds.contains("gh release upload") && cmds.contains("\"$asset.sha256\""));
    // The release notes get the one-screen summary, linking to the attached report.
    assert!(cmds.contains("release-notes --report-url"), "{cmds}");
    assert!(cmds.contains("release-report/release-notes.md"));
}

#[test]
fn action_downloads_the_release_binary_verifying_it_and_falls_back_to_cargo_install() {
    let doc = load("action.yml");
    let release = load(".github/workflows/release.yml");
    let install = run_commands(&doc).join("\n");
    // The asset names the release writes are the ones the action asks for.
    let package = run_commands(&release).join("\n");
    assert!(package.contains("asset=\"migration-harness-${{ matrix.target }}.tar.gz\""));
    assert!(install.contains("asset=\"migration-harness-$target.tar.gz\""));
    for target in ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] {
        assert!(install.contains(target), "no {target} in the action");
    }
    assert!(
        install.contains("sha256sum -c \"$asset.sha256\""),
        "{install}"
    );
    assert!(
        install
            .contains("cargo install --locked --git \"https://github.com/$REPO\" --tag \"$TAG\""),
        "{install}"
    );
    let inputs = doc["inputs"].as_mapping().unwrap();
    assert!(inputs.contains_key("comment") && inputs.contains_key("version"));
}

#[test]
fn action_comment_updates_the_comment_carrying_the_harness_marker() {
    let doc = load("action.yml");
    let steps = doc["runs"]["steps"].as_sequence().unwrap();
    let comment = steps
        .iter()
        .find(|s| s["name"] == "Comment on the pull request")
        .expect("a comment step");
    let cond = comment["if"].as_str().unwrap();
    assert!(cond.contains("inputs.comment == 'true'"), "{cond}");
    assert_eq!(comment["env"]["GH_TOKEN"], "${{ github.token }}");
    let run = comment["run"].as_str().unwrap();
    assert!(
        run.contains("pr-comment.md")
            || comment["env"]["BODY"]
                .as_str()
                .unwrap()
                .ends_with("pr-comment.md")
    );
    assert!(run.contains("marker=$(head -n 1 \"$BODY\")"), "{run}");
    assert!(
        run.contains("--method PATCH") && run.contains("--method POST"),
        "{run}"
    );
    // The marker the action looks for on the first line is the one the harness writes.
    let text = std::fs::read_to_string(common::repo().join("action.yml")).unwrap();
    assert!(text.contains(migration_harness::report::pr_comment::MARKER));
    let run_step = steps.iter().find(|s| s["id"] == "run").unwrap();
    assert!(run_step["env"]["FORMATS"]
        .as_str()
        .unwrap()
        .contains(",pr-comment"));
}

#[test]
fn migrations_workflow_uploads_sarif_for_code_scanning() {
    let doc = load(".github/workflows/migrations.yml");
    assert_eq!(doc["permissions"]["security-events"], "write");
    let steps = doc["jobs"]["scenarios"]["steps"].as_sequence().unwrap();
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))
        })
        .expect("an upload-sarif step");
    let file = upload["with"]["sarif_file"].as_str().unwrap();
    let dir = file.trim_end_matches("/report.sarif");
    let cmds = run_commands(&doc).join("\n");
    assert!(
        cmds.contains("sarif") && cmds.contains(&format!("--output-dir {dir}")),
        "{cmds}"
    );
}
