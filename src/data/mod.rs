//! Seed data: `generate` plans rows for every table (types, FK order, uniques, the shapes
//! production holds), `io` inserts them (parents first, refused rows left out with their
//! dependants) and reads tables back, `seeded` says what a seed did, `compare` tells which
//! seeded rows a later state lost, matching rows as multisets.

mod compare;
mod generate;
mod io;
mod rows;
mod seeded;

pub use compare::{
    compare, diff_table, losses_of, merge_losses, seeded_rows, ChangedRow, DataLoss, LossReason,
    LostValue, RowKey, TableContents, TableDiff,
};
pub use generate::{generate, generate_with, InsertPlan, RowRef, SeedOptions, SeedPlan, SeedShape};
pub use io::{apply_seed, read_contents};
pub use rows::{cell_of, rows_text, written_rows, QueryRows, Row};
pub use seeded::{SeedIssue, SeedNote, SeedNotes, SeedReport, TableSeed};
