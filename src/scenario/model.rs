//! `ScenarioFile`: a scenario as data — an id, a start state and a list of `Step`s.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::step_kind::StepAction;
use crate::chain::Chain;
pub use crate::config::StrictnessKey;
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

/// The part of release confidence a scenario speaks to: the report groups scenarios by it
/// (confidence table, rollback advice), never by their ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Upgrade,
    Idempotency,
    /// Downgrades: the scenario that starts at the baseline is the rollback production runs.
    Rollback,
    ErrorReproduction,
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
/// Adding a step: docs/architecture.md.
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
    /// Runs a read-only query on the scenario's database and compares the rows it returns
    /// (as text, NULL apart) with `rows` (`[["0"]]`; `"null"` for NULL), in order.
    AssertQuery {
        sql: String,
        #[serde(deserialize_with = "crate::data::written_rows")]
        rows: Vec<crate::data::Row>,
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
    /// For every revision: how each schema change holds up the table's writers, asked of
    /// the server on a scratch copy of the parent state.
    OnlineDdl,
    /// A fresh database at the baseline (drift fixture applied) replaces the current one.
    Reset,
    /// Applies by hand the DDL from snapshot `from` to `to` (or `[baseline] hotfix_sql`).
    Hotfix {
        from: String,
        to: String,
    },
    /// The steps after this one form the opinionated check `check`, governed by its
    /// `[scenarios]` key (`off` skips them, `warn` turns their failures into warnings).
    BeginCheck {
        check: StrictnessKey,
    },
    /// Runs one release's statements (its model's and its `[[probes]]`) on the database as
    /// it stands, rolled back: the previous release on the new schema, or the new one on
    /// the old.
    ReleaseCode {
        release: crate::compat::Release,
    },
}

impl Step {
    pub fn action(&self) -> StepAction {
        match self {
            Step::Upgrade { .. } => StepAction::Upgrade,
            Step::Downgrade { .. } => StepAction::Downgrade,
            Step::Stamp { .. } => StepAction::Stamp,
            Step::Snapshot { .. } => StepAction::Snapshot,
            Step::ReferenceSnapshot { .. } => StepAction::ReferenceSnapshot,
            Step::AssertSchemaEquals { .. } => StepAction::AssertSchemaEquals,
            Step::AssertVersion { .. } => StepAction::AssertVersion,
            Step::AssertQuery { .. } => StepAction::AssertQuery,
            Step::ReportDiff { .. } => StepAction::ReportDiff,
            Step::Sql { .. } => StepAction::Sql,
            Step::SeedData => StepAction::SeedData,
            Step::AssertDataPreserved => StepAction::AssertDataPreserved,
            Step::Probes { .. } => StepAction::Probes,
            Step::AppCommand { .. } => StepAction::AppCommand,
            Step::ModelCheck => StepAction::ModelCheck,
            Step::ChainChecks => StepAction::ChainChecks,
            Step::Walk => StepAction::Walk,
            Step::Deploy => StepAction::Deploy,
            Step::RoundTrips { .. } => StepAction::RoundTrips,
            Step::CrashResume => StepAction::CrashResume,
            Step::OnlineDdl => StepAction::OnlineDdl,
            Step::Reset => StepAction::Reset,
            Step::Hotfix { .. } => StepAction::Hotfix,
            Step::BeginCheck { .. } => StepAction::BeginCheck,
            Step::ReleaseCode { .. } => StepAction::ReleaseCode,
        }
    }

    /// Checks run to the end of a scenario even after a failure, so a report shows every
    /// problem; a failed action (upgrade, downgrade, …) leaves nothing sound to build on.
    /// Exhaustive on purpose: a new step must say which it is.
    pub fn is_check(&self) -> bool {
        match self {
            Step::AssertSchemaEquals { .. }
            | Step::AssertVersion { .. }
            | Step::AssertQuery { .. }
            | Step::AssertDataPreserved
            | Step::Probes { .. }
            | Step::AppCommand { .. }
            | Step::ModelCheck
            | Step::ReportDiff { .. }
            | Step::Snapshot { .. }
            | Step::ReleaseCode { .. } => true,
            Step::Upgrade { .. }
            | Step::Downgrade { .. }
            | Step::Stamp { .. }
            | Step::ReferenceSnapshot { .. }
            | Step::Sql { .. }
            | Step::SeedData
            | Step::ChainChecks
            | Step::Walk
            | Step::Deploy
            | Step::RoundTrips { .. }
            | Step::CrashResume
            | Step::OnlineDdl
            | Step::Reset
            | Step::Hotfix { .. }
            | Step::BeginCheck { .. } => false,
        }
    }

    /// Which revisions its results are about (the runner attributes findings by it).
    /// Exhaustive on purpose, like `is_check`.
    pub fn reach(&self) -> Reach<'_> {
        match self {
            Step::Walk => Reach::Walk,
            Step::RoundTrips { .. } | Step::CrashResume | Step::OnlineDdl => Reach::EachRevision,
            Step::Upgrade { target } | Step::Downgrade { target } => Reach::Migrates { target },
            Step::Stamp { .. }
            | Step::Snapshot { .. }
            | Step::ReferenceSnapshot { .. }
            | Step::AssertSchemaEquals { .. }
            | Step::AssertVersion { .. }
            | Step::AssertQuery { .. }
            | Step::ReportDiff { .. }
            | Step::Sql { .. }
            | Step::SeedData
            | Step::AssertDataPreserved
            | Step::Probes { .. }
            | Step::AppCommand { .. }
            | Step::ModelCheck
            | Step::ChainChecks
            | Step::Deploy
            | Step::Reset
            | Step::Hotfix { .. }
            | Step::BeginCheck { .. }
            | Step::ReleaseCode { .. } => Reach::Target,
        }
    }
}

/// Which revisions a step's results are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach<'a> {
    /// Its target (an assertion's expected revision, a deploy's starting point) or none.
    Target,
    /// Moves the database to `target`; a failure the driver pins on another revision is
    /// that revision's.
    Migrates { target: &'a str },
    /// Exercises every revision on its own database (round trips, crash-resume, online DDL).
    EachRevision,
    /// The walk, visiting the revisions in order.
    Walk,
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
    #[serde(default)]
    pub aspect: Option<Aspect>,
    /// One-line result when it passes; `{baseline}`, `{head}`, `{count}`, `{error}` filled in.
    #[serde(default)]
    pub on_pass: Option<String>,
    pub steps: Vec<Step>,
    /// Where it came from: `builtin` or a file path.
    #[serde(skip)]
    pub source: String,
    /// The file it was parsed from and its text, to point errors at a step's line.
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    text: String,
}

/// Targets a step may name besides a revision id and `+N`/`-N`.
const TARGET_WORDS: &[&str] = &["head", "heads", "base", "baseline"];

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
        f.path = source.to_path_buf();
        f.text = text.to_string();
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
        f.check_names()?;
        Ok(f)
    }

    /// An error pointing at `key` inside step `i` (or at the step's header).
    pub fn error_at(&self, i: usize, key: &str, message: String) -> HarnessError {
        let (line, column) = self.locate(i, key);
        HarnessError::Config {
            file: self.path.clone(),
            line,
            column,
            message,
        }
    }

    /// 1-based line and column of `key = …` in the i-th `[[steps]]` table.
    fn locate(&self, i: usize, key: &str) -> (usize, usize) {
        let lines: Vec<&str> = self.text.lines().collect();
        let headers: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.trim() == "[[steps]]")
            .map(|(n, _)| n)
            .collect();
        let Some(&start) = headers.get(i) else {
            return (1, 1);
        };
        let end = headers.get(i + 1).copied().unwrap_or(lines.len());
        lines[start..end]
            .iter()
            .enumerate()
            .find_map(|(n, l)| {
                let t = l.trim_start();
                (t.starts_with(key) && t[key.len()..].trim_start().starts_with('='))
                    .then(|| (start + n + 1, l.len() - t.len() + 1))
            })
            .unwrap_or((start + 1, 1))
    }

    /// Every snapshot a step reads must have been taken by an earlier step (`baseline` is
    /// taken by the start phase and by `reset`), and data can only be compared after it was
    /// seeded: a typo fails at load, not halfway through a run.
    fn check_names(&self) -> Result<()> {
        let mut taken: BTreeSet<&str> = BTreeSet::new();
        if self.start == Start::Baseline {
            taken.insert("baseline");
        }
        let mut seeded = false;
        for (i, step) in self.steps.iter().enumerate() {
            let reads: Vec<(&str, &str)> = match step {
                Step::AssertSchemaEquals { name } => vec![("name", name)],
                Step::ReportDiff { from, to } | Step::Hotfix { from, to } => {
                    vec![("from", from), ("to", to)]
                }
                Step::Probes { model, against, .. } => std::iter::once(("model", model.as_str()))
                    .chain(against.as_deref().map(|a| ("against", a)))
                    .collect(),
                _ => vec![],
            };
            for (key, name) in reads {
                if !taken.contains(name) {
                    let so_far = taken.iter().copied().collect::<Vec<_>>().join(", ");
                    return Err(self.error_at(
                        i,
                        key,
                        format!(
                            "{} reads snapshot `{name}`, which no earlier step takes (taken so far: {})",
                            step.action(),
                            if so_far.is_empty() { "none" } else { &so_far }
                        ),
                    ));
                }
            }
            match step {
                Step::Snapshot { name } | Step::ReferenceSnapshot { name, .. } => {
                    taken.insert(name);
                }
                Step::Reset => {
                    taken.insert("baseline");
                }
                Step::SeedData => seeded = true,
                Step::AssertDataPreserved if !seeded => {
                    return Err(self.error_at(
                        i,
                        "action",
                        "assert_data_preserved needs a seed_data step before it".into(),
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Each step's migration target with the key it was written under, for checking
    /// against the chain once it is known.
    pub fn targets(&self) -> Vec<(usize, &str)> {
        self.steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Step::Upgrade { target }
                | Step::Downgrade { target }
                | Step::Stamp { target }
                | Step::AssertVersion { target }
                | Step::ReferenceSnapshot { target, .. } => Some((i, target.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Checks every target is one the tools accept for this chain; points at the step's
    /// line otherwise. Alembic's grammar is the widest: `head(s)`, `base`, a revision id or
    /// unique prefix, a branch label, `X@head`/`X@base`/`X@+N`, `X+N`/`X-N`, `+N`/`-N`
    /// (alembic.readthedocs.io, "Relative Migration Identifiers", "Working with Branches").
    pub fn check_targets(&self, chain: &Chain) -> Result<()> {
        for (i, t) in self.targets() {
            let t = t.trim();
            if valid_target(t, chain) {
                continue;
            }
            let close: Vec<&str> = chain
                .revisions
                .iter()
                .map(|r| r.id.as_str())
                .filter(|r| !t.is_empty() && r.starts_with(t))
                .collect();
            let hint = match close.as_slice() {
                [] => String::new(),
                some => format!(" (ambiguous: {})", some.join(", ")),
            };
            return Err(self.error_at(
                i,
                "target",
                format!(
                    "target `{t}` is not head, base, baseline, +N, -N, a revision or a branch label of the chain{hint}"
                ),
            ));
        }
        Ok(())
    }
}

fn is_relative(t: &str) -> bool {
    (t.starts_with('+') || t.starts_with('-')) && t[1..].parse::<u32>().is_ok()
}

fn valid_target(t: &str, chain: &Chain) -> bool {
    if TARGET_WORDS.contains(&t) || is_relative(t) {
        return true;
    }
    let (anchor, suffix) = match t.split_once('@') {
        Some((a, s)) => (a, Some(s)),
        None => (t, None),
    };
    if suffix.is_some_and(|s| !(s == "head" || s == "base" || is_relative(s))) {
        return false;
    }
    // `ae10+2`: relative to a revision.
    let anchor = match anchor.rfind(['+', '-']) {
        Some(k) if k > 0 && is_relative(&anchor[k..]) => &anchor[..k],
        _ => anchor,
    };
    TARGET_WORDS.contains(&anchor)
        || chain
            .revisions
            .iter()
            .any(|r| r.id == anchor || r.branch_labels.iter().any(|l| l == anchor))
        || chain
            .revisions
            .iter()
            .filter(|r| !anchor.is_empty() && r.id.starts_with(anchor))
            .count()
            == 1
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

    #[test]
    fn a_snapshot_no_earlier_step_takes_is_an_error_at_its_line() {
        let text = "id = \"x\"\ntitle = \"X\"\nsummary = \"s\"\n[[steps]]\naction = \"snapshot\"\nname = \"head\"\n[[steps]]\naction = \"assert_schema_equals\"\nname = \"baselin\"\n";
        let e = ScenarioFile::parse(text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.toml:9:1: assert_schema_equals reads snapshot `baselin`"),
            "{e}"
        );
        assert!(e.contains("taken so far: baseline, head"), "{e}");
        // `baseline` is only there when the scenario starts from it.
        let empty = text
            .replace("summary = \"s\"\n", "summary = \"s\"\nstart = \"empty\"\n")
            .replace("baselin\"", "baseline\"");
        let e = ScenarioFile::parse(&empty, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`baseline`") && e.contains("taken so far: head"),
            "{e}"
        );
        let seeded = "id = \"x\"\ntitle = \"X\"\nsummary = \"s\"\n[[steps]]\naction = \"assert_data_preserved\"\n";
        let e = ScenarioFile::parse(seeded, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.toml:5:1:") && e.contains("seed_data"),
            "{e}"
        );
    }

    #[test]
    fn targets_follow_alembics_grammar() {
        use crate::chain::Revision;
        let mut feat = Revision::new("feat_a1", &["ae1027a6acf"], "feature");
        feat.branch_labels = vec!["feature".into()];
        let chain = Chain {
            revisions: vec![Revision::new("ae1027a6acf", &[], "base"), feat],
            ..Default::default()
        };
        let ok = |t: &str| valid_target(t, &chain);
        for t in [
            "head",
            "heads",
            "base",
            "baseline",
            "+2",
            "-1",
            "ae1027a6acf",
            "ae10",
            "feature",
            "feature@head",
            "feature@base",
            "feature@+1",
            "ae10+2",
            "feat_a1-1",
        ] {
            assert!(ok(t), "{t} is a target Alembic accepts");
        }
        for t in ["haed", "feature@haed", "nope+1", "", "+x"] {
            assert!(!ok(t), "{t} is a typo");
        }
    }
}
