//! migration-harness: tests schema migrations against a throwaway MySQL/MariaDB server.
//!
//! Data flows one way: [`config`] → [`settings`] → [`scenario::plan`] → [`provision`] → [`scenario::runner`]
//! (events) → [`report::RunSummary`] → renderers in [`report`].

pub mod app;
pub mod chain;
pub mod clean;
pub mod cli;
pub mod compat;
pub mod config;
pub mod data;
pub mod db;
pub mod doctor;
pub mod driver;
pub mod error;
pub mod findings;
pub mod git;
pub mod init;
pub mod matrix;
pub mod merge;
pub mod online;
pub mod partition;
pub mod previous;
pub mod provision;
pub mod redact;
pub mod report;
pub mod said;
pub mod scenario;
pub mod schema;
pub mod settings;
pub mod signal;
