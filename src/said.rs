//! What steps say, as data: a `Said` holds each message as a typed value. The sentences are
//! written only in the `Words` impls under `said/`, so report wording changes in one place, and
//! grouping alike messages reads the values (revision ids masked by the wording itself), never
//! text scanned after the fact.

mod call;
mod common;
mod compat;
mod deploy;
mod message;
mod online;
mod run;
mod words;

pub use call::{Applied, Call, CallFailed, Failed, How, StopLine, Tried};
pub use common::{Common, Target};
pub use compat::{Compat, Statement};
pub use deploy::{Blocked, Deploy, Partly};
pub use message::Said;
pub use online::Online;
pub use run::Run;
pub use words::{unqualified, Masked, Quoted, Revs, Words, REV};
