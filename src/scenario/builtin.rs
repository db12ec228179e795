//! The built-in scenarios, embedded from `scenarios/*.toml`, and loading of a project's own.

use std::path::Path;

use super::model::ScenarioFile;
use crate::error::{HarnessError, IoAction, Result};

/// In the order `all` runs them (DESIGN.md §1).
const BUILTIN: &[(&str, &str)] = &[
    ("chain.toml", include_str!("../../scenarios/chain.toml")),
    (
        "round-trip.toml",
        include_str!("../../scenarios/round-trip.toml"),
    ),
    (
        "crash-resume.toml",
        include_str!("../../scenarios/crash-resume.toml"),
    ),
    (
        "online-ddl.toml",
        include_str!("../../scenarios/online-ddl.toml"),
    ),
    ("upgrade.toml", include_str!("../../scenarios/upgrade.toml")),
    (
        "idempotency.toml",
        include_str!("../../scenarios/idempotency.toml"),
    ),
    (
        "downgrade.toml",
        include_str!("../../scenarios/downgrade.toml"),
    ),
    (
        "reproduce-error.toml",
        include_str!("../../scenarios/reproduce-error.toml"),
    ),
    ("reapply.toml", include_str!("../../scenarios/reapply.toml")),
    (
        "verify-head.toml",
        include_str!("../../scenarios/verify-head.toml"),
    ),
    ("deploy.toml", include_str!("../../scenarios/deploy.toml")),
    ("compat.toml", include_str!("../../scenarios/compat.toml")),
];

pub fn builtin() -> Vec<ScenarioFile> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            let mut f = ScenarioFile::parse(text, Path::new(&format!("scenarios/{name}")))
                .expect("built-in scenarios parse");
            f.source = "built-in".into();
            f
        })
        .collect()
}

/// Built-ins followed by the project's `*.toml` files (name order); ids must be unique.
pub fn all_scenarios(project_dir: Option<&Path>) -> Result<Vec<ScenarioFile>> {
    let mut out = builtin();
    if let Some(dir) = project_dir.filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(HarnessError::io(IoAction::Read, dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(HarnessError::io(IoAction::Read, &f))?;
            let s = ScenarioFile::parse(&text, &f)?;
            if out.iter().any(|o| o.id == s.id) {
                return Err(HarnessError::Config {
                    file: f.clone(),
                    line: 1,
                    column: 1,
                    message: format!("scenario id `{}` is already taken", s.id),
                });
            }
            out.push(s);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_in_contract_order() {
        let ids: Vec<String> = builtin().into_iter().map(|s| s.id).collect();
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
                "compat"
            ]
        );
    }
}
