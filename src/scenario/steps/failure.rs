//! A failed tool call as data lives with its wording in `said/call.rs` (part of the `Run`
//! family): `from_execution` and the half-applied measure build those values.

pub use crate::said::Applied;
