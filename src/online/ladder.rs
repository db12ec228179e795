//! The clauses tried on a statement, least blocking first: the first one the server accepts
//! says how the statement runs in production (where it would pick the same one by itself).

use serde::{Deserialize, Serialize};

use crate::provision::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    Instant,
    /// MariaDB: in place without rebuilding the table.
    Nocopy,
    Inplace,
    Copy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Lock {
    None,
    Shared,
    Exclusive,
}

/// One `ALGORITHM=… [, LOCK=…]` clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attempt {
    pub algorithm: Algorithm,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lock: Option<Lock>,
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Algorithm::Instant => "INSTANT",
            Algorithm::Nocopy => "NOCOPY",
            Algorithm::Inplace => "INPLACE",
            Algorithm::Copy => "COPY",
        })
    }
}

impl std::fmt::Display for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Lock::None => "NONE",
            Lock::Shared => "SHARED",
            Lock::Exclusive => "EXCLUSIVE",
        })
    }
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ALGORITHM={}", self.algorithm)?;
        if let Some(l) = self.lock {
            write!(f, ", LOCK={l}")?;
        }
        Ok(())
    }
}

/// INSTANT, then in place without a lock (NOCOPY first on MariaDB, which tells a rebuild
/// apart), then in place with a shared and an exclusive lock, then COPY.
pub fn ladder(engine: Engine) -> Vec<Attempt> {
    let at = |algorithm, lock| Attempt { algorithm, lock };
    let mut out = vec![at(Algorithm::Instant, None)];
    if engine == Engine::Mariadb {
        out.push(at(Algorithm::Nocopy, Some(Lock::None)));
    }
    out.extend([
        at(Algorithm::Inplace, Some(Lock::None)),
        at(Algorithm::Inplace, Some(Lock::Shared)),
        at(Algorithm::Inplace, Some(Lock::Exclusive)),
        at(Algorithm::Copy, None),
    ]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_tries_nocopy_before_inplace_and_mysql_does_not() {
        let m: Vec<String> = ladder(Engine::Mariadb)
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            m,
            [
                "ALGORITHM=INSTANT",
                "ALGORITHM=NOCOPY, LOCK=NONE",
                "ALGORITHM=INPLACE, LOCK=NONE",
                "ALGORITHM=INPLACE, LOCK=SHARED",
                "ALGORITHM=INPLACE, LOCK=EXCLUSIVE",
                "ALGORITHM=COPY"
            ]
        );
        let y = ladder(Engine::Mysql);
        assert_eq!(y.len(), 5);
        assert!(y.iter().all(|a| a.algorithm != Algorithm::Nocopy));
    }
}
