//! Online DDL as typed data: how each schema-changing statement of a revision holds up the
//! table's writers (`Blocking`), the clause the server accepted (`Attempt`), its refusals of
//! the less blocking ones in its own words (`Refusal`), and, with `[production] rows`, a
//! timed estimate (`Estimate`). Pure: the probing itself lives in
//! `scenario::steps::online`; wording lives in the `Display` impls here and the renderers.

mod estimate;
mod ladder;
mod statement;

pub use estimate::{duration, grouped};
pub use estimate::{Estimate, Growth, Sample};
pub use ladder::{ladder, Algorithm, Attempt, Lock};
pub use statement::{classify, with_clause, ClauseForm, StatementKind};

use serde::{Deserialize, Serialize};

use crate::db::ServerError;

/// How much a statement holds up the table's writers, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocking {
    /// Only the table's metadata changes.
    Instant,
    /// In place, reads and writes go on (`LOCK=NONE`), no table rebuild.
    Online,
    /// In place with `LOCK=NONE`, but the table is rebuilt (MariaDB refused `NOCOPY`).
    OnlineRebuild,
    /// In place, but writes wait for the whole statement (`LOCK=SHARED`).
    SharedLock,
    /// In place, reads and writes wait (`LOCK=EXCLUSIVE`).
    ExclusiveLock,
    /// The table is copied row by row; writes wait for the whole copy.
    Copy,
}

impl Blocking {
    /// Writers wait for the whole statement.
    pub fn blocks_writes(self) -> bool {
        matches!(
            self,
            Blocking::SharedLock | Blocking::ExclusiveLock | Blocking::Copy
        )
    }

    /// Time grows with the table's rows: worth timing at production scale.
    pub fn grows_with_rows(self) -> bool {
        !matches!(self, Blocking::Instant | Blocking::Online)
    }

    /// What the accepted clause means for the table.
    pub fn from_accepted(accepted: Attempt, after_nocopy_refused: bool) -> Blocking {
        match (accepted.algorithm, accepted.lock) {
            (Algorithm::Instant, _) => Blocking::Instant,
            (Algorithm::Copy, _) => Blocking::Copy,
            (_, Some(Lock::Shared)) => Blocking::SharedLock,
            (_, Some(Lock::Exclusive)) => Blocking::ExclusiveLock,
            (Algorithm::Inplace, _) if after_nocopy_refused => Blocking::OnlineRebuild,
            _ => Blocking::Online,
        }
    }
}

impl std::fmt::Display for Blocking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Blocking::Instant => "instant",
            Blocking::Online => "online",
            Blocking::OnlineRebuild => "online (rebuilds the table)",
            Blocking::SharedLock => "shared lock (blocks writes)",
            Blocking::ExclusiveLock => "exclusive lock (blocks reads and writes)",
            Blocking::Copy => "copy (blocks writes)",
        })
    }
}

/// A statement the ALGORITHM/LOCK clauses do not apply to, classified by what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metadata {
    CreateTable,
    DropTable,
    RenameTable,
}

impl std::fmt::Display for Metadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Metadata::CreateTable => "new table (metadata only)",
            Metadata::DropTable => "drop table (metadata only)",
            Metadata::RenameTable => "rename (metadata only)",
        })
    }
}

/// The server said no to a less blocking clause, in its own words (1845/1846).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub attempt: Attempt,
    pub error: ServerError,
}

/// What probing found for one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "class")]
pub enum Verdict {
    /// The server accepted `accepted`; every less blocking clause was refused.
    Probed {
        accepted: Attempt,
        blocking: Blocking,
    },
    Metadata {
        what: Metadata,
    },
    /// The server took no ALGORITHM clause for it (`error`), so it ran as written, unclassified.
    Unprobed {
        error: ServerError,
    },
    /// The statement failed on the scratch copy as written: the rest of its revision was
    /// not probed (the upgrade's own scenarios report the failure).
    Failed {
        error: ServerError,
    },
}

impl Verdict {
    pub fn blocking(&self) -> Option<Blocking> {
        match self {
            Verdict::Probed { blocking, .. } => Some(*blocking),
            _ => None,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Probed { blocking, .. } => blocking.fmt(f),
            Verdict::Metadata { what } => what.fmt(f),
            Verdict::Unprobed { .. } => f.write_str("not probed"),
            Verdict::Failed { .. } => f.write_str("failed on the scratch copy"),
        }
    }
}

/// One schema-changing statement of a revision, as the server classified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DdlStatement {
    /// 1-based position among the migration's own statements.
    pub index: usize,
    pub sql: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub table: Option<String>,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The less blocking clauses the server refused, least blocking first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub refusals: Vec<Refusal>,
    /// With `[production] rows` for its table: the statement timed at two sizes.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub estimate: Option<Estimate>,
}

impl DdlStatement {
    pub fn blocks_writes(&self) -> bool {
        self.verdict.blocking().is_some_and(Blocking::blocks_writes)
    }

    /// The server's reason for the last refusal before the accepted clause: why it could
    /// not be less blocking.
    pub fn reason(&self) -> Option<&ServerError> {
        match &self.verdict {
            Verdict::Unprobed { error } | Verdict::Failed { error } => Some(error),
            _ => self.refusals.last().map(|r| &r.error),
        }
    }
}

/// Every classified statement of one revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionDdl {
    pub revision: String,
    pub statements: Vec<DdlStatement>,
}

impl RevisionDdl {
    pub fn blocking(&self) -> impl Iterator<Item = &DdlStatement> {
        self.statements.iter().filter(|s| s.blocks_writes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(algorithm: Algorithm, lock: Option<Lock>) -> Attempt {
        Attempt { algorithm, lock }
    }

    #[test]
    fn accepted_clause_maps_to_how_writers_wait() {
        use Algorithm::*;
        assert_eq!(
            Blocking::from_accepted(at(Instant, None), false),
            Blocking::Instant
        );
        assert_eq!(
            Blocking::from_accepted(at(Nocopy, Some(Lock::None)), false),
            Blocking::Online
        );
        assert_eq!(
            Blocking::from_accepted(at(Inplace, Some(Lock::None)), true),
            Blocking::OnlineRebuild
        );
        assert_eq!(
            Blocking::from_accepted(at(Inplace, Some(Lock::None)), false),
            Blocking::Online
        );
        assert_eq!(
            Blocking::from_accepted(at(Inplace, Some(Lock::Shared)), false),
            Blocking::SharedLock
        );
        assert_eq!(
            Blocking::from_accepted(at(Copy, None), false),
            Blocking::Copy
        );
        assert!(Blocking::Copy.blocks_writes());
        assert!(Blocking::SharedLock.blocks_writes());
        assert!(!Blocking::OnlineRebuild.blocks_writes());
        assert!(Blocking::OnlineRebuild.grows_with_rows());
        assert!(!Blocking::Instant.grows_with_rows());
    }

    #[test]
    fn reason_is_the_last_refusal_before_the_accepted_clause() {
        let refusal = |m: &str| Refusal {
            attempt: at(Algorithm::Instant, None),
            error: ServerError {
                code: 1846,
                message: m.into(),
            },
        };
        let s = DdlStatement {
            index: 1,
            sql: "ALTER TABLE t MODIFY a bigint".into(),
            table: Some("t".into()),
            verdict: Verdict::Probed {
                accepted: at(Algorithm::Copy, None),
                blocking: Blocking::Copy,
            },
            refusals: vec![refusal("first"), refusal("last")],
            estimate: None,
        };
        assert!(s.blocks_writes());
        assert_eq!(s.reason().unwrap().message, "last");
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["class"], "probed");
        assert_eq!(json["blocking"], "copy");
        assert_eq!(json["accepted"]["algorithm"], "COPY");
        let back: DdlStatement = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }
}
