//! What the round trips say: each revision up, down and up again on its own database at its
//! parent state, with rows seeded on the way. A downgrade that does not restore the parent's
//! schema is said as the walk says it (`Walk::NotRestored`).

use std::fmt;

use super::walk::{Made, Verb};
use super::words::{Quoted, Revs, Words};

/// The three tool calls of a trip, each failing as its own defect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripCall {
    /// The upgrade of r, after rows were seeded at the parent state.
    Up,
    /// The downgrade of r, after rows were seeded in r's new shapes.
    Down,
    /// The upgrade of r again, after its downgrade.
    UpAgain,
}

impl TripCall {
    pub fn verb(self) -> Verb {
        match self {
            TripCall::Up | TripCall::UpAgain => Verb::Upgrade,
            TripCall::Down => Verb::Downgrade,
        }
    }

    fn how(self) -> &'static str {
        match self {
            TripCall::Up => "with seeded rows",
            TripCall::Down => "with rows written after the upgrade",
            TripCall::UpAgain => "again after its downgrade",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundTrip {
    Title,
    TripTitle {
        rev: String,
    },
    /// The trip's database, at `parent` (None = the empty base).
    DatabaseAt {
        parent: Option<String>,
        made: Made,
    },
    /// A call of the trip failed; `why` is the server's error or the tool's last line
    /// (None: the tool said nothing).
    CallFailed {
        call: TripCall,
        rev: String,
        why: Option<Quoted>,
    },
    /// `rows` rows seeded, at the parent state (`shapes_of` None) or in r's new shapes.
    Seeded {
        rows: usize,
        shapes_of: Option<String>,
    },
    SeedingFailed(Quoted),
    /// The downgrade restored the schema of `of` (None = base).
    Restored {
        of: Option<String>,
    },
    NothingSeeded,
    ValuesSurvived {
        values: usize,
    },
    /// The losses in the data module's words.
    LostRows {
        rev: String,
        losses: Quoted,
    },
    UpAgainEqual,
    UpAgainDiffers {
        rev: String,
    },
}

impl Words for RoundTrip {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            RoundTrip::Title => f.write_str("round trips: up → down → up for every revision"),
            RoundTrip::TripTitle { rev } => {
                write!(f, "round trip {}: up → down → up", revs.id(rev))
            }
            RoundTrip::DatabaseAt { parent, made } => write!(
                f,
                "database at {} {}",
                parent.as_deref().map_or("base (empty)", |p| revs.id(p)),
                made.word()
            ),
            RoundTrip::CallFailed { call, rev, why } => {
                write!(
                    f,
                    "{} of {} {} failed: ",
                    call.verb().word(),
                    revs.id(rev),
                    call.how()
                )?;
                match why {
                    Some(w) => write!(f, "{w}"),
                    None => f.write_str("the tool failed"),
                }
            }
            RoundTrip::Seeded { rows, shapes_of } => match shapes_of {
                None => write!(f, "{rows} rows seeded at the parent state"),
                Some(r) => write!(f, "{rows} rows seeded in {}'s shapes", revs.id(r)),
            },
            RoundTrip::SeedingFailed(e) => write!(f, "seeding failed: {e}"),
            RoundTrip::Restored { of } => write!(
                f,
                "downgrade restored the schema of {}",
                of.as_deref().map_or("base", |p| revs.id(p))
            ),
            RoundTrip::NothingSeeded => f.write_str(
                "no seeded values to compare: the parent state has no table the harness could seed",
            ),
            RoundTrip::ValuesSurvived { values } => {
                write!(f, "all {values} seeded values survived the downgrade")
            }
            RoundTrip::LostRows { rev, losses } => {
                write!(
                    f,
                    "downgrade of {} lost seeded rows: {losses}",
                    revs.id(rev)
                )
            }
            RoundTrip::UpAgainEqual => {
                f.write_str("second upgrade gives the first upgrade's schema")
            }
            RoundTrip::UpAgainDiffers { rev } => write!(
                f,
                "upgrading {} again gives a different schema than the first time",
                revs.id(rev)
            ),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            RoundTrip::CallFailed { why, .. } => why.iter_mut().collect(),
            RoundTrip::SeedingFailed(q) | RoundTrip::LostRows { losses: q, .. } => vec![q],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::said::{Masked, Said};

    #[test]
    fn a_failed_call_names_its_revision_shown_and_masked() {
        let c = RoundTrip::CallFailed {
            call: TripCall::Down,
            rev: "0007".into(),
            why: Some(Quoted::new("1553 (HY000): Cannot drop index 'fk'")),
        };
        assert_eq!(
            Masked::shown(&c),
            "downgrade of 0007 with rows written after the upgrade failed: \
             1553 (HY000): Cannot drop index 'fk'"
        );
        assert_eq!(
            Masked(&c).to_string(),
            "downgrade of ‹rev› with rows written after the upgrade failed: \
             1553 (HY000): Cannot drop index 'fk'"
        );
    }

    #[test]
    fn lost_rows_are_quoted_and_cleaned_by_map_text() {
        let s = Said::from(RoundTrip::LostRows {
            rev: "a1".into(),
            losses: Quoted::new("`mh_0123456789ab_2.user`.`token`: 3 values lost"),
        });
        assert_eq!(
            s.to_string(),
            "downgrade of a1 lost seeded rows: `user`.`token`: 3 values lost"
        );
        let cleaned = s.map_text(|t| t.replace("3 values", "N values"));
        assert_eq!(
            cleaned.to_string(),
            "downgrade of a1 lost seeded rows: `user`.`token`: N values lost"
        );
    }
}
