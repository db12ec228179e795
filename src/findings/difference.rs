//! `SchemaDifference`: one schema difference a step found, kept as the typed
//! `schema::Change` with what the step knows about it (the revision that created a dropped
//! object, or that it showed after upgrading again). Linking and deduplication read the
//! change; only `Display` makes the line a report shows.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::said::{Revs, Words};
use crate::schema::Change;

/// What a step knows about a difference besides the change itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffNote {
    /// An object a downgrade dropped: the first revision on the way up whose schema had it.
    CreatedBy(String),
    /// Found by comparing the second upgrade of a round trip with the first.
    AfterUpAgain,
}

/// One schema difference: `- column user.api_token varchar(64) NULL (created by 3e51…)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDifference {
    pub change: Change,
    pub note: Option<DiffNote>,
}

impl SchemaDifference {
    pub fn of(change: Change) -> Self {
        SchemaDifference { change, note: None }
    }

    pub fn created_by(change: Change, revision: Option<String>) -> Self {
        SchemaDifference {
            change,
            note: revision.map(DiffNote::CreatedBy),
        }
    }

    pub fn after_up_again(change: Change) -> Self {
        SchemaDifference {
            change,
            note: Some(DiffNote::AfterUpAgain),
        }
    }

    /// The revision that created the object this difference drops, when the walk knew it.
    pub fn cause(&self) -> Option<&str> {
        match &self.note {
            Some(DiffNote::CreatedBy(r)) => Some(r),
            _ => None,
        }
    }

    /// Two sightings show the same difference: the same change, whatever the notes and a
    /// column's ordinal position (compared only as a warning, never a difference).
    pub fn same_change(&self, other: &SchemaDifference) -> bool {
        same_change(&self.change, &other.change)
    }
}

/// The same change, whatever a column's ordinal position (compared only as a warning,
/// never a difference).
pub fn same_change(a: &Change, b: &Change) -> bool {
    without_positions(a) == without_positions(b)
}

/// Every difference of `changes`, with nothing more known about it.
pub fn differences(changes: impl IntoIterator<Item = Change>) -> Vec<SchemaDifference> {
    changes.into_iter().map(SchemaDifference::of).collect()
}

/// The differences on one line, `sep` between them.
pub fn joined(diffs: &[SchemaDifference], sep: &str) -> String {
    diffs
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

fn without_positions(c: &Change) -> Change {
    let mut c = c.clone();
    match &mut c {
        Change::AddColumn { column, .. } | Change::DropColumn { column, .. } => column.position = 0,
        Change::ModifyColumn { before, after, .. } => {
            before.position = 0;
            after.position = 0;
        }
        _ => {}
    }
    c
}

impl Words for SchemaDifference {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match &self.note {
            None => write!(f, "{}", self.change),
            Some(DiffNote::CreatedBy(r)) => {
                write!(f, "{} (created by {})", self.change, revs.id(r))
            }
            Some(DiffNote::AfterUpAgain) => write!(f, "after up again: {}", self.change),
        }
    }
}

impl fmt::Display for SchemaDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.words(f, Revs::Shown)
    }
}

/// report.json keeps `diff` and `changed` lists of lines (the contract), made here.
/// report.json's form: the line a report shows, and the typed change with what is known
/// about it, so `merge` reads back exactly what the run found.
#[derive(Serialize, Deserialize)]
struct Wire {
    line: String,
    #[serde(flatten)]
    change: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created_by: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    after_up_again: bool,
}

impl Serialize for SchemaDifference {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            line: self.to_string(),
            change: self.change.clone(),
            created_by: self.cause().map(str::to_string),
            after_up_again: self.note == Some(DiffNote::AfterUpAgain),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SchemaDifference {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        let note = match (w.created_by, w.after_up_again) {
            (Some(r), _) => Some(DiffNote::CreatedBy(r)),
            (None, true) => Some(DiffNote::AfterUpAgain),
            (None, false) => None,
        };
        Ok(SchemaDifference {
            change: w.change,
            note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn column(name: &str, position: u32) -> Column {
        Column {
            name: name.into(),
            position,
            column_type: "varchar(64)".into(),
            nullable: true,
            ..Column::default()
        }
    }

    fn drop_token(position: u32) -> Change {
        Change::DropColumn {
            table: "user".into(),
            column: column("api_token", position),
        }
    }

    #[test]
    fn a_difference_prints_its_change_and_what_is_known_about_it() {
        let plain = SchemaDifference::of(drop_token(3));
        let blamed = SchemaDifference::created_by(drop_token(3), Some("3e5106ee570c".into()));
        let again = SchemaDifference::after_up_again(drop_token(3));
        assert_eq!(plain.to_string(), drop_token(3).to_string());
        assert_eq!(
            blamed.to_string(),
            format!("{} (created by 3e5106ee570c)", drop_token(3))
        );
        assert_eq!(
            again.to_string(),
            format!("after up again: {}", drop_token(3))
        );
        assert_eq!(blamed.cause(), Some("3e5106ee570c"));
        let json = serde_json::to_value(&blamed).unwrap();
        assert_eq!(json["line"], serde_json::json!(blamed.to_string()));
        assert_eq!(json["created_by"], "3e5106ee570c");
        for d in [&plain, &blamed, &again] {
            let back: SchemaDifference =
                serde_json::from_value(serde_json::to_value(d).unwrap()).unwrap();
            // A column's position is not written (a warning, never a difference).
            assert!(
                back.same_change(d) && back.note == d.note,
                "{back:?} read back as {d:?}"
            );
        }
    }

    #[test]
    fn the_same_change_is_the_same_whatever_its_note_and_column_position() {
        let walk = SchemaDifference::created_by(drop_token(3), Some("3e51".into()));
        let rollback = SchemaDifference::of(drop_token(7));
        assert!(walk.same_change(&rollback));
        let other = SchemaDifference::of(Change::DropColumn {
            table: "user_old".into(),
            column: column("api_token", 3),
        });
        assert!(!walk.same_change(&other));
    }
}
