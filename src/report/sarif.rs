//! SARIF 2.1.0 (`--format sarif`, `report.sarif`) for code scanning: one result per finding,
//! a rule per finding kind (its JSON name, `downgrade_fails`), the severity as the level,
//! located at the migration file and the line of the failing statement when the run knows
//! it (else the revision's line). Paths are relative to the checkout (`root`), as GitHub's
//! upload-sarif expects. Reference: docs.oasis-open.org/sarif/sarif/v2.1.0.

use std::path::Path;

use serde_json::{json, Value};

use super::summary::RunSummary;
use super::view::findings::kind_id;
use super::view::wording::{fix_for, fix_hint};
use crate::findings::{Finding, Kind, Severity};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render_sarif(s: &RunSummary, root: &Path) -> String {
    let kinds = rule_kinds(s);
    let rules: Vec<Value> = kinds.iter().map(|k| rule(*k)).collect();
    let results: Vec<Value> = s.findings.iter().map(|f| result(f, &kinds, root)).collect();
    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": s.harness.name,
                "version": s.harness.version,
                "informationUri": "https://github.com/migration-harness/migration-harness",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("SARIF serialises");
    out.push('\n');
    out
}

/// The kinds the findings have, each once, in order of first sight.
fn rule_kinds(s: &RunSummary) -> Vec<Kind> {
    let mut kinds = Vec::new();
    for f in &s.findings {
        if !kinds.contains(&f.defect.kind) {
            kinds.push(f.defect.kind);
        }
    }
    kinds
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Blocking => "error",
        Severity::Warning => "warning",
        Severity::History => "note",
    }
}

fn rule(k: Kind) -> Value {
    json!({
        "id": kind_id(k),
        "shortDescription": { "text": k.words() },
        "help": { "text": fix_hint(k) },
    })
}

fn result(f: &Finding, kinds: &[Kind], root: &Path) -> Value {
    let d = &f.defect;
    let mut text = format!("{}: {}", f.id, f.headline());
    if let Some(q) = d
        .statement
        .as_ref()
        .map(|q| q.text())
        .filter(|q| !q.trim().is_empty())
    {
        text.push_str(&format!("\nStatement: {}", q.trim()));
    }
    text.push_str(&format!("\nFix: {}", fix_for(d)));
    let mut r = json!({
        "ruleId": kind_id(d.kind),
        "ruleIndex": kinds.iter().position(|k| *k == d.kind).unwrap_or(0),
        "level": level(f.severity),
        "message": { "text": text },
        "partialFingerprints": { "migrationHarness/v1": fingerprint(f) },
        "properties": {
            "severity": f.severity.word(),
            "revision": d.revision,
            "seenIn": f.scenarios(),
        },
    });
    if let Some(file) = &f.file {
        let p = Path::new(file);
        let rel = p.strip_prefix(root).unwrap_or(p);
        r["locations"] = json!([{ "physicalLocation": {
            "artifactLocation": { "uri": uri(rel), "uriBaseId": "%SRCROOT%" },
            "region": { "startLine": f.line.unwrap_or(1).max(1) },
        }}]);
    }
    r
}

/// A relative path as a URI reference: forward slashes, spaces and `%` escaped.
fn uri(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.replace('%', "%25").replace(' ', "%20")
}

/// Stable across runs for the same defect (kind, revision, statement), so code scanning
/// tracks one alert instead of opening a new one per run.
pub(super) fn fingerprint(f: &Finding) -> String {
    use sha2::{Digest, Sha256};
    let d = &f.defect;
    let mut h = Sha256::new();
    h.update(kind_id(d.kind));
    h.update([0]);
    h.update(d.revision.as_deref().unwrap_or(""));
    h.update([0]);
    h.update(
        d.statement
            .as_ref()
            .map_or(d.summary.to_string(), |q| q.text().to_string()),
    );
    let digest = h.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
