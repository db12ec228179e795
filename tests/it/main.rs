//! The integration tests, in one binary (it links once): one module per concept, each test
//! against real servers, real migration tools, real git repositories and real files.
//!
//! Run one concept with `cargo test --test it reports::`, one test by its name.

mod architecture;
mod cli;
mod common;
mod drivers;
mod faults;
mod findings;
mod matrix;
mod provisioning;
mod reports;
mod scenarios;
