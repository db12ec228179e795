//! Issue 6: the GitHub workflows and the composite action cannot run here, so their
//! references are checked: inputs used are declared, files named exist, and every flag
//! passed to migration-harness is one it accepts.

mod common;

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
