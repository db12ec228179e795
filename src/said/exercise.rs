//! What the steps that exercise the database say: seeding and data preservation, the
//! application's queries (probes), the app command and the model check. Part of the `Check`
//! family (`Check::Exercise`).

use std::fmt;

use super::words::{Quoted, Revs, Words};

/// A probe: derived from the model's table, or one of harness.toml's `[[probes]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeName {
    Model { table: String },
    Declared(String),
}

impl fmt::Display for ProbeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeName::Model { table } => write!(f, "model query on {table}"),
            ProbeName::Declared(n) => f.write_str(n),
        }
    }
}

/// Where seeded data was lost: a column, or whole rows of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostIn {
    pub table: String,
    pub column: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exercise {
    SeedTitle,
    SeedingFailed {
        error: Quoted,
    },
    Seeded {
        rows: usize,
        tables: Vec<String>,
    },
    PreservedTitle,
    NoSeed,
    NothingSeeded,
    DataIntact {
        values: usize,
        tables: usize,
    },
    DataLostOnRollback {
        lost: usize,
        places: Vec<LostIn>,
    },
    /// The defect: what the downgrade of `revision` (or of an unknown one) lost, each loss
    /// as `DataLoss` words it (quoted: it names the scratch database's tables).
    DataLost {
        revision: Option<String>,
        losses: Vec<Quoted>,
    },
    /// `expect` as the scenario spells it (`ok`, `error:1054`).
    ProbesTitle {
        expect: String,
    },
    NothingToProbe,
    NoProbes,
    ProbeTimedOut {
        probe: ProbeName,
    },
    /// A probe met its expectation: the server's error, or `None` when it succeeded.
    ProbeAsExpected {
        probe: ProbeName,
        error: Option<Quoted>,
    },
    ProbeUnmet {
        probe: ProbeName,
        why: Quoted,
    },
    ProbeQuery {
        sql: Quoted,
    },
    AppTitle,
    NoAppCommand,
    AppCommandTitle {
        command: String,
        expect: String,
    },
    /// The command met its expectation: its error, else its exit code.
    AppAsExpected {
        command: String,
        error: Option<Quoted>,
        exit: i32,
    },
    AppUnmet {
        command: String,
        why: Quoted,
    },
    ModelTitle,
    ModelCommandTitle {
        command: String,
    },
    NoModelCheck,
    NoPendingModelChanges,
    ModelDisagrees {
        output: Quoted,
    },
}

/// `items` joined by `sep`.
fn joined<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

impl fmt::Display for LostIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "{}.{c}", self.table),
            None => f.write_str(&self.table),
        }
    }
}

impl Words for Exercise {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Exercise::SeedTitle => f.write_str("seed rows in every table"),
            Exercise::SeedingFailed { error } => write!(f, "seeding failed: {error}"),
            Exercise::Seeded { rows, tables } => {
                write!(f, "{rows} rows seeded in {} table(s): ", tables.len())?;
                joined(f, tables, ", ")
            }
            Exercise::PreservedTitle => f.write_str("seeded data still there"),
            Exercise::NoSeed => f.write_str("no seed_data step ran before this one"),
            Exercise::NothingSeeded => {
                f.write_str("no seeded values to compare (no table could be seeded)")
            }
            Exercise::DataIntact { values, tables } => {
                write!(f, "all {values} seeded values in {tables} table(s) intact")
            }
            Exercise::DataLostOnRollback { lost, places } => {
                write!(f, "data lost on rollback: {lost} seeded value(s)/row(s) in ")?;
                joined(f, places, ", ")
            }
            Exercise::DataLost { revision, losses } => {
                match revision {
                    Some(r) => write!(f, "downgrade of {} lost seeded rows: ", revs.id(r))?,
                    None => f.write_str("seeded rows lost: ")?,
                }
                joined(f, losses, "; ")
            }
            Exercise::ProbesTitle { expect } => write!(f, "application queries expecting {expect}"),
            Exercise::NothingToProbe => f.write_str(
                "the rolled-back schema misses nothing the head needs: no application query can fail",
            ),
            Exercise::NoProbes => {
                f.write_str("no probes: nothing derived and no [[probes]] in harness.toml")
            }
            Exercise::ProbeTimedOut { probe } => write!(f, "{probe}: timed out"),
            Exercise::ProbeAsExpected { probe, error } => match error {
                Some(e) => write!(f, "{probe}: {e} (as expected)"),
                None => write!(f, "{probe}: succeeded (as expected)"),
            },
            Exercise::ProbeUnmet { probe, why } => write!(f, "{probe}: {why}"),
            Exercise::ProbeQuery { sql } => write!(f, "query: {sql}"),
            Exercise::AppTitle => f.write_str("application command"),
            Exercise::NoAppCommand => f.write_str("no [app_command] in harness.toml"),
            Exercise::AppCommandTitle { command, expect } => {
                write!(f, "`{command}` expecting {expect}")
            }
            Exercise::AppAsExpected {
                command,
                error,
                exit,
            } => match error {
                Some(e) => write!(f, "`{command}`: {e} (as expected)"),
                None => write!(f, "`{command}`: exit {exit} (as expected)"),
            },
            Exercise::AppUnmet { command, why } => write!(f, "`{command}`: {why}"),
            Exercise::ModelTitle => f.write_str("model matches schema"),
            Exercise::ModelCommandTitle { command } => {
                write!(f, "`{command}`: model matches schema")
            }
            Exercise::NoModelCheck => f.write_str("this migration tool has no model check"),
            Exercise::NoPendingModelChanges => f.write_str("no pending model changes"),
            Exercise::ModelDisagrees { output } => write!(f, "model and schema disagree: {output}"),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Exercise::SeedingFailed { error } => vec![error],
            Exercise::DataLost { losses, .. } => losses.iter_mut().collect(),
            Exercise::ProbeAsExpected { error, .. } | Exercise::AppAsExpected { error, .. } => {
                error.iter_mut().collect()
            }
            Exercise::ProbeUnmet { why, .. } | Exercise::AppUnmet { why, .. } => vec![why],
            Exercise::ProbeQuery { sql } => vec![sql],
            Exercise::ModelDisagrees { output } => vec![output],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::said::{Masked, Said};

    #[test]
    fn lost_rows_name_the_downgraded_revision_shown_and_masked_and_clean_their_quotes() {
        let s = Said::from(Exercise::DataLost {
            revision: Some("3e5106ee570c".into()),
            losses: vec![Quoted::new(
                "user.api_token: 2 of 3 values lost in mh_26112418182659_3",
            )],
        });
        assert_eq!(
            s.to_string(),
            "downgrade of 3e5106ee570c lost seeded rows: user.api_token: 2 of 3 values lost in mh_26112418182659_3"
        );
        assert_eq!(
            Masked(&s).to_string(),
            "downgrade of ‹rev› lost seeded rows: user.api_token: 2 of 3 values lost in mh_26112418182659_3"
        );
        let cleaned = s.map_text(|t| t.replace("mh_26112418182659_3", "‹database›"));
        assert!(cleaned.to_string().ends_with("lost in ‹database›"));
    }
}
