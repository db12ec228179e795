//! How a message is worded: the `Words` trait every message family implements, with its
//! revision ids shown or masked.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// Stands for a revision id in a message's template ("30 × ‹rev› has an empty downgrade").
pub const REV: &str = "‹rev›";

/// Whether a wording shows the revision ids it names or masks them (its template).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revs {
    Shown,
    Masked,
}

impl Revs {
    /// `id` as this wording shows it.
    pub fn id(self, id: &str) -> &str {
        match self {
            Revs::Shown => id,
            Revs::Masked => REV,
        }
    }
}

/// A family of messages' wording: the one place its sentences are written.
pub trait Words {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result;

    /// Text this run did not word nested in the message (a server's error), so the report
    /// can clean it like any other quoted text.
    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        Vec::new()
    }

    /// Whether this run worded all of it, so its masked rendering is its template.
    fn worded(&self) -> bool {
        true
    }
}

/// `'mh_2611241818265973_17.tags'` → `'tags'`: the scratch database a scenario ran in is
/// not part of what went wrong, and two scenarios' sightings of one defect must read alike.
pub fn unqualified(text: &str) -> String {
    static QUALIFIER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\bmh_[0-9a-f]{8,}_[0-9]+\.").expect("valid regex"));
    QUALIFIER.replace_all(text, "").into_owned()
}

/// Text a message quotes but this run did not word: a server's error, a tool's line. It
/// is kept without the scratch database's qualifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted(String);

impl Quoted {
    pub fn new(text: impl fmt::Display) -> Self {
        Quoted(unqualified(&text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same quote with `f` applied (the report's cleaning).
    pub fn map(&self, f: impl Fn(&str) -> String) -> Self {
        Quoted(f(&self.0))
    }
}

impl fmt::Display for Quoted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shows a wording with its revision ids masked.
pub struct Masked<'a>(pub &'a dyn Words);

impl Masked<'_> {
    /// A wording with its revision ids shown, for `dyn Words`.
    pub fn shown(w: &dyn Words) -> String {
        struct Shown<'a>(&'a dyn Words);
        impl fmt::Display for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.words(f, Revs::Shown)
            }
        }
        Shown(w).to_string()
    }
}

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.words(f, Revs::Masked)
    }
}

/// `list`'s revision ids joined by `sep`, each as `revs` shows it.
pub(super) fn ids(
    f: &mut fmt::Formatter<'_>,
    revs: Revs,
    list: &[String],
    sep: &str,
) -> fmt::Result {
    for (i, id) in list.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        f.write_str(revs.id(id))?;
    }
    Ok(())
}
