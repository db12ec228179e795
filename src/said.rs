//! What steps say, as data: a `Said` holds each message as a typed value. The sentences are
//! written only in the `Words` impls under `said/`, so report wording changes in one place, and
//! grouping alike messages reads the values (revision ids masked by the wording itself), never
//! text scanned after the fact.

mod checks;
mod common;
mod exercise;
mod left;
mod message;
mod resume;
mod roundtrip;
mod walk;
mod words;

pub use checks::{Check, Fate, HotfixSource, Target};
pub use common::Common;
pub use exercise::{Exercise, LostIn, ProbeName};
pub use left::{Left, VersionRows, VersionTable};
pub use message::Said;
pub use resume::{AfterCrash, AfterForce, NotMeasured, Resume};
pub use roundtrip::{RoundTrip, TripCall};
pub use walk::{Made, Verb, Walk};
pub use words::{unqualified, Masked, Quoted, Revs, Words, REV};
