//! Report wording that depends on a finding's kind: the fix hint a summary prints under
//! each finding. One arm per `Kind`: a new kind does not compile until it has its hint.

use crate::findings::{Defect, Kind};

/// What to do about a finding of this kind, in one sentence.
pub fn fix_hint(kind: Kind) -> &'static str {
    match kind {
        Kind::Graph => "Repair the revision graph: one head, every parent present, no duplicate ids (merge branches with a merge revision).",
        Kind::UpgradeFails => "Make the upgrade valid on the server: check the statement against the schema its parent leaves.",
        Kind::DowngradeFails => "Make the downgrade undo exactly what the upgrade did, naming the objects the upgrade created.",
        Kind::DowngradeLeavesSchema => "Make the downgrade restore its parent's schema: undo every change of the upgrade, in reverse order.",
        Kind::DataLost => "Keep rows across the downgrade: copy data back before dropping the new structure, or document the loss.",
        Kind::RoundTripFails => "Make upgrade → downgrade → upgrade work: the downgrade must remove everything the upgrade creates.",
        Kind::HalfApplied => "Split the migration so each statement can be re-run (IF EXISTS / IF NOT EXISTS), or order it so the failing statement runs first.",
        Kind::NotResumable => "Guard each statement (IF NOT EXISTS, existence checks) so a deploy that crashed half-way can simply run again.",
        Kind::NotIdempotent => "Guard the upgrade's statements so running it over its own changes is harmless.",
        Kind::HotfixFails => "Make the migration tolerate the hand-applied hot-fix (check for the object before creating it).",
        Kind::ErrorNotReproduced => "Check the scenario: the production error it expects no longer happens with these migrations.",
        Kind::SchemaMismatch => "Compare the migrated schema with the expected one and add the missing changes to a migration.",
        Kind::ModelMismatch => "Bring the application's model and the migrations in line (generate a migration for the difference).",
        Kind::DeployBlocked => "Let the deploy command start on the old schema: do not query new columns at import time.",
        Kind::EmptyUpgrade => "Fill in the upgrade, or remove the revision if it is not needed.",
        Kind::EmptyDowngrade => "Write the downgrade that undoes the upgrade, or mark the migration irreversible on purpose.",
        Kind::CheckFailed => "Read the failing check's expectation in the full report and fix the migration or the scenario.",
        Kind::ScenarioError => "Fix the environment or tool problem that kept the scenario from running (see the full report's log).",
        Kind::BreaksPreviousRelease => "Keep the previous release working on the new schema (expand first, contract in a later release): add before you drop or rename.",
        Kind::BlocksWrites => "Run the change online (gh-ost, pt-online-schema-change) or rewrite it as an instant/in-place change; see the server's reason in the online-DDL table.",
        Kind::CodeAheadOfSchema => "Ship the migration before (or with) the code that needs it, or make the code tolerate the old schema.",
    }
}

/// The fix a report prints under a finding: its own when it knows one (compat's
/// expand/contract line), else its kind's.
pub fn fix_for(d: &Defect) -> String {
    match &d.compat {
        Some(c) => c.fix().to_string(),
        None => fix_hint(d.kind).to_string(),
    }
}
