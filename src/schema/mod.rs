//! Schema snapshots from information_schema (every object kind, normalised so MySQL and
//! MariaDB spellings compare equal), and the diff between two snapshots naming each object's
//! kind, with the DDL that would close it.

mod build;
mod diff;
mod hotfix;
mod incremental;
mod model;
mod normalize;
mod snapshot;

pub use build::{build, CreateKind, Record, Recorded};
pub use diff::{diff, warnings, Change, ObjectKind};
pub use hotfix::hotfix_ddl;
pub use model::{
    Column, ColumnDefault, Definition, Event, ForeignKey, Index, IndexColumn, IndexKind, Routine,
    RoutineKind, Snapshot, Table, TableOptions, Trigger, View,
};
pub use normalize::{
    normalize_collation, normalize_default, normalize_extra, normalize_sql, normalize_type,
    DefaultSpelling,
};
pub use snapshot::{read_all, take_snapshot, take_snapshot_since};
