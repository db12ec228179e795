//! What a seed did, as data: per table the rows planned and inserted, and why the others are
//! not there (the harness's own limits, never a finding). `SeedNotes` folds every seed of a
//! run into run information, each cause once.

use serde::{Deserialize, Serialize};

use crate::db::ServerError;

/// Why rows of a table are not in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "cause")]
pub enum SeedIssue {
    /// The generator cannot fill the table (a column type it does not know, a required
    /// reference to a table it cannot seed).
    Unsupported { why: String },
    /// The server refused rows; the first refusal's code and message.
    Refused { rows: usize, error: ServerError },
    /// Rows left out because a row they reference was refused or not seeded.
    Dependent { rows: usize, parent: String },
}

/// One table of one seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSeed {
    pub table: String,
    pub planned: usize,
    pub inserted: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<SeedIssue>,
}

/// What one seed did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedReport {
    pub tables: Vec<TableSeed>,
    /// Tables seeded with FOREIGN_KEY_CHECKS=0: their foreign keys form a cycle, so no order
    /// puts every parent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<String>,
}

impl SeedReport {
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|t| t.inserted).sum()
    }

    pub fn complete(&self) -> bool {
        self.unchecked.is_empty() && self.tables.iter().all(|t| t.issues.is_empty())
    }
}

/// One cause of missing seed rows, as the run reports it once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedNote {
    pub table: String,
    #[serde(flatten)]
    pub issue: SeedIssue,
    /// How many seeds met it.
    pub seeds: usize,
}

/// Every seed of a run folded into run information.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedNotes {
    /// Distinct tables any seed planned rows for or left out.
    pub tables: usize,
    /// Those with no issue in any seed.
    pub seeded: usize,
    pub notes: Vec<SeedNote>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<String>,
}

impl SeedNotes {
    pub fn fold<'a>(reports: impl IntoIterator<Item = &'a SeedReport>) -> SeedNotes {
        let mut tables: Vec<&str> = Vec::new();
        let mut troubled: Vec<&str> = Vec::new();
        let mut out = SeedNotes::default();
        for r in reports {
            for t in &r.tables {
                if !tables.contains(&t.table.as_str()) {
                    tables.push(&t.table);
                }
                if !t.issues.is_empty() && !troubled.contains(&t.table.as_str()) {
                    troubled.push(&t.table);
                }
                for i in &t.issues {
                    out.add(&t.table, i);
                }
            }
            for u in &r.unchecked {
                if !out.unchecked.contains(u) {
                    out.unchecked.push(u.clone());
                }
            }
        }
        out.tables = tables.len();
        out.seeded = tables.len() - troubled.len();
        out
    }

    /// Every table the seeds met, in the order first met (a partition's report keeps them,
    /// so a merge counts each table once).
    pub fn tables_met<'a>(reports: impl IntoIterator<Item = &'a SeedReport>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in reports.into_iter().flat_map(|r| &r.tables) {
            if !out.contains(&t.table) {
                out.push(t.table.clone());
            }
        }
        out
    }

    /// Folds another run's notes into these (a partition's into the merged run's): each
    /// cause once, its seeds and rows added up; `tables` are every table any of them met.
    pub fn absorb(&mut self, other: &SeedNotes, tables: &[String]) {
        for n in &other.notes {
            self.add_seen(&n.table, &n.issue, n.seeds);
        }
        for u in &other.unchecked {
            if !self.unchecked.contains(u) {
                self.unchecked.push(u.clone());
            }
        }
        let mut troubled: Vec<&str> = self.notes.iter().map(|n| n.table.as_str()).collect();
        troubled.sort();
        troubled.dedup();
        self.tables = tables.len().max(self.tables);
        self.seeded = self.tables.saturating_sub(troubled.len());
    }

    /// Counts one more sighting of `issue`; row counts add up, the first message stays.
    fn add(&mut self, table: &str, issue: &SeedIssue) {
        self.add_seen(table, issue, 1);
    }

    /// Counts `seeds` more sightings of `issue` (its rows once: they are the sightings' sum).
    fn add_seen(&mut self, table: &str, issue: &SeedIssue, seeds: usize) {
        let same = |n: &SeedNote| {
            n.table == table
                && match (&n.issue, issue) {
                    (SeedIssue::Refused { error: a, .. }, SeedIssue::Refused { error: b, .. }) => {
                        a.code == b.code
                    }
                    (
                        SeedIssue::Dependent { parent: a, .. },
                        SeedIssue::Dependent { parent: b, .. },
                    ) => a == b,
                    (a, b) => a == b,
                }
        };
        match self.notes.iter_mut().find(|n| same(n)) {
            Some(n) => {
                n.seeds += seeds;
                match (&mut n.issue, issue) {
                    (SeedIssue::Refused { rows, .. }, SeedIssue::Refused { rows: more, .. })
                    | (
                        SeedIssue::Dependent { rows, .. },
                        SeedIssue::Dependent { rows: more, .. },
                    ) => *rows += more,
                    _ => {}
                }
            }
            None => self.notes.push(SeedNote {
                table: table.to_string(),
                issue: issue.clone(),
                seeds,
            }),
        }
    }

    /// Nothing to say: every table seeded, in order.
    pub fn is_clean(&self) -> bool {
        self.notes.is_empty() && self.unchecked.is_empty()
    }
}

impl std::fmt::Display for SeedIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedIssue::Unsupported { why } => write!(f, "not seeded ({why})"),
            SeedIssue::Refused { rows, error } => {
                write!(f, "{rows} row(s) refused by the server: {error}")
            }
            SeedIssue::Dependent { rows, parent } => write!(
                f,
                "{rows} row(s) left out: they reference rows of `{parent}` that are not there"
            ),
        }
    }
}

impl std::fmt::Display for SeedNotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeded {} of {} tables in full",
            self.seeded, self.tables
        )?;
        for n in &self.notes {
            write!(f, "; `{}`: {}", n.table, n.issue)?;
        }
        if !self.unchecked.is_empty() {
            write!(
                f,
                "; seeded with FOREIGN_KEY_CHECKS=0 (their foreign keys form a cycle): {}",
                self.unchecked.join(", ")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, issues: Vec<SeedIssue>) -> TableSeed {
        TableSeed {
            table: name.into(),
            planned: 5,
            inserted: 5,
            issues,
        }
    }

    #[test]
    fn a_refusal_met_by_every_seed_is_said_once() {
        let refused = |rows| SeedIssue::Refused {
            rows,
            error: ServerError {
                code: 3819,
                message: "Check constraint 'runs_chk_2' is violated.".into(),
            },
        };
        let seed = |rows| SeedReport {
            tables: vec![
                table("project", vec![]),
                table("runs", vec![refused(rows)]),
                table(
                    "run_steps",
                    vec![SeedIssue::Dependent {
                        rows,
                        parent: "runs".into(),
                    }],
                ),
            ],
            unchecked: vec![],
        };
        let notes = SeedNotes::fold([&seed(1), &seed(2)]);
        assert_eq!(notes.notes.len(), 2);
        assert_eq!(notes.notes[0].seeds, 2);
        assert_eq!(
            notes.to_string(),
            "seeded 1 of 3 tables in full; `runs`: 3 row(s) refused by the server: 3819 Check \
             constraint 'runs_chk_2' is violated.; `run_steps`: 3 row(s) left out: they \
             reference rows of `runs` that are not there"
        );
        assert!(!notes.is_clean());
        assert!(SeedNotes::fold([&SeedReport::default()]).is_clean());
    }
}
