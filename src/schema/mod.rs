//! Schema snapshots from information_schema, normalised so MySQL and MariaDB spellings
//! compare equal, and the diff between two snapshots (with the DDL that would close it).

mod diff;
mod model;
mod normalize;
mod snapshot;

pub use diff::{diff, hotfix_ddl, Change};
pub use model::{Column, ForeignKey, Index, IndexColumn, Snapshot, Table};
pub use normalize::{normalize_collation, normalize_default, normalize_extra, normalize_type};
pub use snapshot::take_snapshot;
