//! What steps say, as data: a `Said` holds each message as a typed value. The sentences are
//! written only in the `Words` impls under `said/`, so report wording changes in one place, and
//! grouping alike messages reads the values (revision ids masked by the wording itself), never
//! text scanned after the fact.

mod call;
mod checks;
mod common;
mod compat;
mod conclusion;
mod deploy;
mod exercise;
mod graph;
mod left;
mod message;
mod online;
mod resume;
mod roundtrip;
mod run;
mod walk;
mod words;

pub use call::{Applied, Call, CallFailed, Failed, How, StopLine, Tried};
pub use checks::{Check, Fate, HotfixSource};
pub use common::{Common, Target};
pub use compat::{Compat, Statement};
pub use conclusion::{Lead, Summed};
pub use deploy::{Blocked, Deploy, Partly};
pub use exercise::{Exercise, LostIn, ProbeName};
pub use left::{Left, VersionRows, VersionTable};
pub use message::Said;
pub use online::Online;
pub use resume::{AfterCrash, AfterForce, NotMeasured, Resume};
pub use roundtrip::{RoundTrip, TripCall};
pub use run::Run;
pub use walk::{Made, Verb, Walk};
pub use words::{unqualified, Masked, Quoted, Revs, Words, REV};
