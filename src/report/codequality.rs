//! GitLab Code Quality (`--format gitlab-codequality`, `gl-code-quality-report.json`): one
//! issue per finding, shown in the merge request's widget and on the diff line of the
//! migration that causes it (`artifacts: reports: codequality:` in `.gitlab-ci.yml`). The
//! fields are GitLab's subset of the Code Climate issue format
//! (docs.gitlab.com/ci/testing/code_quality, "Code Quality report format"); the fingerprint
//! is SARIF's, so an issue keeps its identity from one pipeline to the next.

use std::path::Path;

use serde_json::{json, Value};

use super::sarif::fingerprint;
use super::summary::RunSummary;
use super::view::findings::kind_id;
use super::view::wording::fix_for;
use crate::findings::{Finding, Severity};

/// Where a finding that names no migration file is shown: the project's config.
const NO_FILE: &str = "harness.toml";

pub fn render_codequality(s: &RunSummary, root: &Path) -> String {
    let issues: Vec<Value> = s.findings.iter().map(|f| issue(f, root)).collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("issues serialise");
    out.push('\n');
    out
}

/// GitLab's five levels: a blocking finding fails the gate but is not a crash (`critical`,
/// not `blocker`); a history finding is about revisions deployed long ago (`info`).
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Blocking => "critical",
        Severity::Warning => "minor",
        Severity::History => "info",
    }
}

fn issue(f: &Finding, root: &Path) -> Value {
    let path = match &f.file {
        Some(file) => {
            let p = Path::new(file);
            p.strip_prefix(root)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        }
        None => NO_FILE.to_string(),
    };
    json!({
        "type": "issue",
        "check_name": kind_id(f.defect.kind),
        "description": format!("{}: {} — fix: {}", f.id, f.headline(), fix_for(&f.defect)),
        "severity": severity(f.severity),
        "fingerprint": fingerprint(f),
        "location": { "path": path, "lines": { "begin": f.line.unwrap_or(1).max(1) } },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Defect, Kind};

    fn finding(file: Option<&str>, severity: Severity) -> Finding {
        Finding {
            id: crate::findings::FindingId(1),
            severity,
            new: true,
            file: file.map(String::from),
            line: file.map(|_| 2),
            defect: Defect::new(
                Kind::DowngradeFails,
                Some("000002"),
                "downgrade of 000002 failed: 1091 Can't DROP INDEX `ix_item_kode`",
            ),
            seen_in: vec![],
            caused_by: vec![],
        }
    }

    #[test]
    fn each_finding_is_an_issue_at_its_file_and_line_relative_to_the_checkout() {
        let f = finding(
            Some("/repo/migrations/000002_item_code.down.sql"),
            Severity::Blocking,
        );
        let v = issue(&f, Path::new("/repo"));
        assert_eq!(v["check_name"], "downgrade_fails");
        assert_eq!(v["severity"], "critical");
        assert_eq!(
            v["location"]["path"],
            "migrations/000002_item_code.down.sql"
        );
        assert_eq!(v["location"]["lines"]["begin"], 2);
        let d = v["description"].as_str().unwrap();
        assert!(d.starts_with("F1: ") && d.contains("— fix: "), "{d}");
        assert_eq!(v["fingerprint"], fingerprint(&f));
    }

    #[test]
    fn a_finding_without_a_file_points_at_the_config_and_severities_map_to_gitlabs() {
        let v = issue(&finding(None, Severity::History), Path::new("/repo"));
        assert_eq!(v["location"]["path"], NO_FILE);
        assert_eq!(v["location"]["lines"]["begin"], 1);
        assert_eq!(v["severity"], "info");
        assert_eq!(
            issue(&finding(None, Severity::Warning), Path::new("/"))["severity"],
            "minor"
        );
    }
}
