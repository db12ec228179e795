//! `--partition K/N`: one of N runs that share a chain between runners. Each partition does
//! the per-revision work (round trips, crash-resume, online-DDL probes) of its revisions,
//! dealt round robin over the chain (later revisions carry larger schemas, so contiguous
//! slices would load the last partition most). Partition 1 also runs the whole-chain
//! scenarios, so it is dealt two revisions where the others get three: of every `3N-1`
//! revisions in chain order, `1 2 … N`, then `2 … N`, then `1 2 … N` (`1 2 2 1 2` for
//! N = 2). Measured on a 55-revision chain (benches/partition.sh), one revision in two for
//! partition 1 left it the slowest, one in three left it the fastest.
//! `migration-harness merge` folds the partitions' reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Partition `index` of `count`, both 1-based (`2/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Partition {
    pub index: usize,
    pub count: usize,
}

/// Why `K/N` is not a partition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadPartition {
    #[error("`{0}` is not K/N (e.g. 1/2)")]
    Syntax(String),
    #[error("partition {index}/{count}: K must be between 1 and N")]
    OutOfRange { index: usize, count: usize },
}

impl Partition {
    pub fn new(index: usize, count: usize) -> Result<Partition, BadPartition> {
        if count == 0 || index == 0 || index > count {
            return Err(BadPartition::OutOfRange { index, count });
        }
        Ok(Partition { index, count })
    }

    /// The partition that also runs the whole-chain scenarios.
    pub fn is_first(self) -> bool {
        self.index == 1
    }

    /// Whether the revision at 0-based chain `position` is this partition's.
    pub fn owns(self, position: usize) -> bool {
        let n = self.count;
        let slot = position % (3 * n - 1);
        let owner = if slot < n {
            slot + 1
        } else if slot < 2 * n - 1 {
            slot - n + 2
        } else {
            slot - (2 * n - 1) + 1
        };
        owner == self.index
    }

    /// The revisions of `order` (base → head) this partition exercises.
    pub fn revisions(self, order: &[String]) -> Vec<&str> {
        order
            .iter()
            .enumerate()
            .filter(|(i, _)| self.owns(*i))
            .map(|(_, r)| r.as_str())
            .collect()
    }
}

impl FromStr for Partition {
    type Err = BadPartition;

    fn from_str(s: &str) -> Result<Partition, BadPartition> {
        let syntax = || BadPartition::Syntax(s.to_string());
        let (k, n) = s.trim().split_once('/').ok_or_else(syntax)?;
        let k = k.trim().parse().map_err(|_| syntax())?;
        let n = n.trim().parse().map_err(|_| syntax())?;
        Partition::new(k, n)
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n_and_refuses_the_rest() {
        assert_eq!("2/3".parse(), Ok(Partition { index: 2, count: 3 }));
        assert_eq!(
            " 1 / 1 ".parse::<Partition>().map(|p| p.to_string()),
            Ok("1/1".into())
        );
        assert!(matches!(
            "0/2".parse::<Partition>(),
            Err(BadPartition::OutOfRange { .. })
        ));
        assert!(matches!(
            "3/2".parse::<Partition>(),
            Err(BadPartition::OutOfRange { .. })
        ));
        assert!(matches!(
            "2".parse::<Partition>(),
            Err(BadPartition::Syntax(_))
        ));
        assert!(matches!(
            "a/2".parse::<Partition>(),
            Err(BadPartition::Syntax(_))
        ));
    }

    #[test]
    fn every_revision_belongs_to_exactly_one_partition() {
        let order: Vec<String> = (1..=55).map(|i| format!("{i:06}")).collect();
        for n in 1..=4 {
            let parts: Vec<Vec<&str>> = (1..=n)
                .map(|k| Partition::new(k, n).unwrap().revisions(&order))
                .collect();
            let mut all: Vec<&str> = parts.iter().flatten().copied().collect();
            all.sort();
            assert_eq!(all.len(), order.len(), "{n} partitions");
            all.dedup();
            assert_eq!(all.len(), order.len(), "{n} partitions overlap");
            // Partition 1 (which also runs the whole-chain scenarios) two parts, the others
            // three each.
            let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
            let part = order.len() as f64 / (3 * n - 1) as f64;
            assert!((sizes[0] as f64 - 2.0 * part).abs() <= 2.0, "{sizes:?}");
            for s in &sizes[1..] {
                assert!((*s as f64 - 3.0 * part).abs() <= 3.0, "{sizes:?}");
            }
        }
        let owners = |n: usize, len: usize| -> Vec<usize> {
            (0..len)
                .map(|i| {
                    (1..=n)
                        .find(|k| Partition::new(*k, n).unwrap().owns(i))
                        .unwrap()
                })
                .collect()
        };
        assert_eq!(owners(2, 5), [1, 2, 2, 1, 2]);
        assert_eq!(owners(3, 8), [1, 2, 3, 2, 3, 1, 2, 3]);
        assert_eq!(owners(1, 3), [1, 1, 1]);
    }
}
