//! One defect as the findings fold holds it while folding: the defect, every sighting and
//! its position, and the entries known to cause it — what linking reads.

use crate::findings::{Defect, Seen, Severity};

/// Where a sighting was: scenario, step and defect positions.
pub(super) type At = (usize, usize, usize);

pub(super) struct Entry {
    pub(super) defect: Defect,
    pub(super) seen: Vec<Seen>,
    /// (scenario, step, defect within the step) positions of each sighting, to tell what
    /// came first.
    pub(super) at: Vec<At>,
    pub(super) severity: Severity,
    /// Entries known to cause this one (a half-applied state: the failure that left it).
    pub(super) linked: Vec<usize>,
}
