//! Reports: every format telling the same truth, at any chain length, through one event
//! stream; SARIF locations; the workflows that publish them.
mod formats;
mod sarif;
mod scale;
mod sinks;
mod workflows;
