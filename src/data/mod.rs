//! Seed data: `generate` plans a few valid rows for every table (types, FK order, uniques),
//! `compare` tells which seeded values a later state lost; `io` runs both against a server.

mod compare;
mod generate;
mod io;

pub use compare::{compare, merge_losses, seeded_rows, DataLoss, TableContents};
pub use generate::{generate, generate_with, InsertPlan, SeedOptions, SeedPlan, SeedShape};
pub use io::{apply_seed, read_contents};
