//! `--partition K/N`: one of N runs that share a chain between runners. Each partition does
//! the per-revision work (round trips, crash-resume, online-DDL probes) of the revisions at
//! chain positions `K-1, K-1+N, K-1+2N, …` (round robin: later revisions carry larger schemas,
//! so contiguous slices would leave the last partition the heaviest); partition 1 also runs
//! the whole-chain scenarios. `migration-harness merge` folds the partitions' reports.

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
        position % self.count == self.index - 1
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
            let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "balanced: {sizes:?}");
        }
        let p = Partition::new(2, 2).unwrap();
        assert_eq!(p.revisions(&order)[..2], ["000002", "000004"]);
    }
}
