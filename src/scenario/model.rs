//! `ScenarioFile`: a scenario as data — an id, a start state and a list of `Step`s.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{HarnessError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// A fresh database upgraded base → baseline, then the drift fixture applied.
    #[default]
    Baseline,
    /// A fresh, empty database.
    Empty,
}

/// Which config knob can soften a scenario (`required | warn | off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StrictnessKey {
    Idempotency,
}

/// What a query or command must do: succeed, fail, or fail with one server error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum Expect {
    Ok,
    AnyError,
    Error(u16),
}

impl From<Expect> for String {
    fn from(e: Expect) -> String {
        match e {
            Expect::Ok => "ok".into(),
            Expect::AnyError => "error".into(),
            Expect::Error(c) => format!("error:{c}"),
        }
    }
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "ok" => Ok(Expect::Ok),
            "error" => Ok(Expect::AnyError),
            e => e
                .strip_prefix("error:")
                .and_then(|c| c.parse().ok())
                .map(Expect::Error)
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "expected \"ok\", \"error\" or \"error:CODE\", found \"{s}\""
                    ))
                }),
        }
    }
}

/// How a round trip gets its database at the parent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParentState {
    /// Copy tables and rows of a database already at the parent (falls back to rebuilding).
    #[default]
    Clone,
    /// Upgrade a fresh database from clean to the parent.
    Rebuild,
}

/// The step vocabulary. Targets are `head`, `base`, `baseline`, a revision, or `+N`/`-N`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    Upgrade {
        target: String,
    },
    Downgrade {
        target: String,
    },
    Stamp {
        target: String,
    },
    Snapshot {
        name: String,
    },
    /// Builds a scratch database from empty to `target` and snapshots it as `name`.
    ReferenceSnapshot {
        name: String,
        target: String,
    },
    AssertSchemaEquals {
        name: String,
    },
    AssertVersion {
        target: String,
    },
    /// Records the diff between two snapshots (no verdict).
    ReportDiff {
        from: String,
        to: String,
    },
    Sql {
        sql: String,
        expect: Expect,
    },
    SeedData,
    AssertDataPreserved,
    /// Runs the model's queries: derived from snapshot `model` (only for tables whose
    /// columns `against` lacks, when given) plus the `[[probes]]` of the config.
    Probes {
        model: String,
        #[serde(default)]
        against: Option<String>,
        expect: Expect,
        #[serde(default)]
        skip_if_none: bool,
    },
    AppCommand {
        expect: Expect,
    },
    ModelCheck,
    ChainChecks,
    Walk,
    /// Runs the production deploy command once, as a real process with the project's app.
    Deploy,
    /// For every revision, on its own database at the parent state: up → down → up with
    /// seeded rows on both sides.
    RoundTrips {
        #[serde(default)]
        parent: ParentState,
    },
    /// For every revision with several statements: stop after each statement, deploy again.
    CrashResume,
    /// A fresh database at the baseline (drift fixture applied) replaces the current one.
    Reset,
    /// Applies by hand the DDL from snapshot `from` to `to` (or `[baseline] hotfix_sql`).
    Hotfix {
        from: String,
        to: String,
    },
}

impl Step {
    pub fn action(&self) -> &'static str {
        match self {
            Step::Upgrade { .. } => "upgrade",
            Step::Downgrade { .. } => "downgrade",
            Step::Stamp { .. } => "stamp",
            Step::Snapshot { .. } => "snapshot",
            Step::ReferenceSnapshot { .. } => "reference_snapshot",
            Step::AssertSchemaEquals { .. } => "assert_schema_equals",
            Step::AssertVersion { .. } => "assert_version",
            Step::ReportDiff { .. } => "report_diff",
            Step::Sql { .. } => "sql",
            Step::SeedData => "seed_data",
            Step::AssertDataPreserved => "assert_data_preserved",
            Step::Probes { .. } => "probes",
            Step::AppCommand { .. } => "app_command",
            Step::ModelCheck => "model_check",
            Step::ChainChecks => "chain_checks",
            Step::Walk => "walk",
            Step::Deploy => "deploy",
            Step::RoundTrips { .. } => "round_trips",
            Step::CrashResume => "crash_resume",
            Step::Reset => "reset",
            Step::Hotfix { .. } => "hotfix",
        }
    }

    /// Checks run to the end of a scenario even after a failure, so a report shows every
    /// problem; a failed action (upgrade, downgrade, …) leaves nothing sound to build on.
    pub fn is_check(&self) -> bool {
        matches!(
            self,
            Step::AssertSchemaEquals { .. }
                | Step::AssertVersion { .. }
                | Step::AssertDataPreserved
                | Step::Probes { .. }
                | Step::AppCommand { .. }
                | Step::ModelCheck
                | Step::ReportDiff { .. }
                | Step::Snapshot { .. }
        )
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub id: String,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub start: Start,
    #[serde(default)]
    pub strictness: Option<StrictnessKey>,
    /// One-line result when it passes; `{baseline}`, `{head}`, `{count}`, `{error}` filled in.
    #[serde(default)]
    pub on_pass: Option<String>,
    pub steps: Vec<Step>,
    /// Where it came from: `builtin` or a file path.
    #[serde(skip)]
    pub source: String,
}

impl ScenarioFile {
    pub fn parse(text: &str, source: &Path) -> Result<ScenarioFile> {
        let mut f: ScenarioFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| crate::config::line_col(text, s.start))
                .unwrap_or((1, 1));
            HarnessError::Config {
                file: source.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        f.source = source.display().to_string();
        if f.id.is_empty()
            || !f
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(HarnessError::Config {
                file: source.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("scenario id `{}` must be letters, digits, `-` or `_`", f.id),
            });
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_and_expectations() {
        let f = ScenarioFile::parse(
            "id = \"x\"\ntitle = \"X\"\nsummary = \"s\"\n[[steps]]\naction = \"sql\"\nsql = \"SELECT 1\"\nexpect = \"error:1054\"\n[[steps]]\naction = \"walk\"\n",
            Path::new("x.toml"),
        )
        .unwrap();
        assert_eq!(
            f.steps[0],
            Step::Sql {
                sql: "SELECT 1".into(),
                expect: Expect::Error(1054)
            }
        );
        assert_eq!(f.steps[1], Step::Walk);
        assert_eq!(f.start, Start::Baseline);
    }

    #[test]
    fn unknown_action_and_bad_expect_point_at_the_line() {
        let e = ScenarioFile::parse(
            "id = \"x\"\ntitle = \"X\"\nsummary = \"s\"\n[[steps]]\naction = \"explode\"\n",
            Path::new("x.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("x.toml:"), "{e}");
        assert!(e.contains("explode"), "{e}");
        let e = ScenarioFile::parse(
            "id = \"x\"\ntitle = \"X\"\nsummary = \"s\"\n[[steps]]\naction = \"sql\"\nsql = \"x\"\nexpect = \"maybe\"\n",
            Path::new("x.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("expected \"ok\""), "{e}");
    }
}
