//! Scenarios: the built-in scenarios on the examples and the defect fixtures, clean revisions
//! staying silent, seeding, compat, online DDL, hot-fix DDL, incremental snapshots and
//! `assert_query` in a project scenario.
mod assert_query;
mod clean_revisions;
mod compat;
mod copies;
mod every_defect;
mod examples;
mod hotfix;
mod online_ddl;
mod seeding;
mod snapshot_incremental;
