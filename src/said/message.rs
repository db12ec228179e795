//! `Said`: one message of a step or a scenario, typed by family; text only for what this
//! run did not word (a server's error, a report read back).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::checks::Check;
use super::common::Common;
use super::compat::Compat;
use super::conclusion::Summed;
use super::deploy::Deploy;
use super::online::Online;
use super::resume::Resume;
use super::roundtrip::RoundTrip;
use super::run::Run;
use super::walk::Walk;
use super::words::{unqualified, Masked, Quoted, Revs, Words};
use crate::chain::Finding;

/// One message of a step or a scenario. Two messages are equal when they say the same
/// words: a message read back from report.json equals the one that was written.
#[derive(Debug, Clone)]
pub enum Said {
    /// Text this run did not word: a typed error's own `Display`, a tool's or the server's
    /// output. Grouping masks the chain's revision ids found in it.
    Raised(String),
    /// Read back from an earlier run's report.json (`merge`): shown as it was written.
    Recorded(String),
    /// Several problems of one step, in the order found, joined by "; ".
    All(Vec<Said>),
    Common(Common),
    Walk(Walk),
    RoundTrip(RoundTrip),
    Resume(Resume),
    Check(Check),
    Deploy(Deploy),
    Online(Online),
    Compat(Compat),
    Run(Run),
    /// A finding of the revision graph checks (`said::graph` words it).
    Graph(Finding),
    Summed(Box<Summed<Said>>),
}

impl Said {
    /// Nothing said (a scenario's line before it concludes).
    pub fn nothing() -> Said {
        Said::All(Vec::new())
    }

    /// A typed error's or a tool's own words, without the scratch database's qualifier.
    pub fn raised(text: impl fmt::Display) -> Said {
        Said::Raised(unqualified(&text.to_string()))
    }

    /// The wording with every revision id masked, when this run worded it; `None` for text
    /// it did not (raised or recorded), which the grouper masks by the ids it knows.
    pub fn template(&self) -> Option<String> {
        self.worded().then(|| Masked(self).to_string())
    }

    /// The message with `f` applied to the text this run did not word.
    pub fn map_text(&self, f: impl Fn(&str) -> String + Copy) -> Said {
        match self {
            Said::Raised(t) => Said::Raised(f(t)),
            Said::Recorded(t) => Said::Recorded(f(t)),
            Said::All(parts) => Said::All(parts.iter().map(|p| p.map_text(f)).collect()),
            typed => {
                let mut out = typed.clone();
                for q in out.quoted_mut() {
                    *q = q.map(f);
                }
                out
            }
        }
    }
}

impl Words for Said {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Said::Raised(t) | Said::Recorded(t) => f.write_str(t),
            Said::All(parts) => {
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    p.words(f, revs)?;
                }
                Ok(())
            }
            Said::Common(c) => c.words(f, revs),
            Said::Walk(w) => w.words(f, revs),
            Said::RoundTrip(t) => t.words(f, revs),
            Said::Resume(r) => r.words(f, revs),
            Said::Check(c) => c.words(f, revs),
            Said::Deploy(d) => d.words(f, revs),
            Said::Online(o) => o.words(f, revs),
            Said::Compat(c) => c.words(f, revs),
            Said::Run(r) => r.words(f, revs),
            Said::Graph(g) => g.words(f, revs),
            Said::Summed(c) => c.words(f, revs),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Said::Raised(_) | Said::Recorded(_) | Said::All(_) => Vec::new(),
            Said::Common(c) => c.quoted_mut(),
            Said::Walk(w) => w.quoted_mut(),
            Said::RoundTrip(t) => t.quoted_mut(),
            Said::Resume(r) => r.quoted_mut(),
            Said::Check(c) => c.quoted_mut(),
            Said::Deploy(d) => d.quoted_mut(),
            Said::Online(o) => o.quoted_mut(),
            Said::Compat(c) => c.quoted_mut(),
            Said::Run(r) => r.quoted_mut(),
            Said::Graph(g) => g.quoted_mut(),
            Said::Summed(c) => c.quoted_mut(),
        }
    }

    fn worded(&self) -> bool {
        match self {
            Said::Raised(_) | Said::Recorded(_) => false,
            Said::All(parts) => parts.iter().all(Words::worded),
            Said::Common(c) => c.worded(),
            Said::Walk(w) => w.worded(),
            Said::RoundTrip(t) => t.worded(),
            Said::Resume(r) => r.worded(),
            Said::Check(c) => c.worded(),
            Said::Deploy(d) => d.worded(),
            Said::Online(o) => o.worded(),
            Said::Compat(c) => c.worded(),
            Said::Run(r) => r.worded(),
            Said::Graph(g) => g.worded(),
            Said::Summed(c) => c.worded(),
        }
    }
}

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.words(f, Revs::Shown)
    }
}

impl From<Summed<Said>> for Said {
    fn from(c: Summed<Said>) -> Self {
        Said::Summed(Box::new(c))
    }
}

impl From<super::exercise::Exercise> for Said {
    fn from(e: super::exercise::Exercise) -> Self {
        Said::Check(Check::Exercise(e))
    }
}

impl From<Finding> for Said {
    fn from(g: Finding) -> Self {
        Said::Graph(g)
    }
}

impl From<super::left::Left> for Said {
    fn from(l: super::left::Left) -> Self {
        Said::Check(Check::Left(l))
    }
}

/// Test fixtures write their messages as sentences.
#[cfg(test)]
impl From<&str> for Said {
    fn from(t: &str) -> Self {
        Said::raised(t)
    }
}

#[cfg(test)]
impl From<String> for Said {
    fn from(t: String) -> Self {
        Said::raised(t)
    }
}

/// A message kept in a list (`HalfApplied::lines`) said again by another step.
impl From<&Said> for Said {
    fn from(s: &Said) -> Self {
        s.clone()
    }
}
/// A failed call's parts are `Run` messages of their own.
/// Each family is a message.
macro_rules! families {
    ($($t:ident),*) => {$(
        impl From<$t> for Said {
            fn from(x: $t) -> Self {
                Said::$t(x)
            }
        }
    )*};
}

families!(Common, Walk, RoundTrip, Resume, Check, Deploy, Online, Compat, Run);

macro_rules! run_parts {
    ($($t:ident),*) => {$(
        impl From<super::call::$t> for Said {
            fn from(x: super::call::$t) -> Self {
                Said::Run(x.into())
            }
        }
    )*};
}

run_parts!(StopLine, CallFailed, Failed, Applied);

/// A step that stops on a database error says the server's words.
impl From<crate::db::DbError> for Said {
    fn from(e: crate::db::DbError) -> Self {
        Said::raised(e)
    }
}

/// report.json keeps the sentence: its readers (and `merge`) see the words, not the value.
impl Serialize for Said {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Said {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Said::Recorded)
    }
}

impl PartialEq for Said {
    fn eq(&self, other: &Said) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Said {}

impl PartialEq<str> for Said {
    fn eq(&self, other: &str) -> bool {
        self.to_string().as_str() == other
    }
}

impl PartialEq<&str> for Said {
    fn eq(&self, other: &&str) -> bool {
        self.to_string().as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_message_masks_its_revisions_in_the_template_only() {
        let s = Said::from(Common::NotRunBecauseGraphBroken);
        assert_eq!(s.to_string(), "the revision graph is broken");
        let s = Said::All(vec![
            Common::NoSnapshot { name: "x".into() }.into(),
            Common::NotRunBecauseGraphBroken.into(),
        ]);
        assert_eq!(
            s.to_string(),
            "no snapshot named `x`; the revision graph is broken"
        );
        assert_eq!(s.template().as_deref(), Some(s.to_string().as_str()));
    }

    struct Upgraded(String);

    impl Words for Upgraded {
        fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
            write!(f, "upgrade to {} failed", revs.id(&self.0))
        }
    }

    #[test]
    fn masking_replaces_exactly_the_revisions_the_wording_names() {
        let w = Upgraded("ae1027a6acf".into());
        assert_eq!(Masked(&w).to_string(), "upgrade to ‹rev› failed");
    }

    #[test]
    fn text_the_run_did_not_word_has_no_template() {
        assert_eq!(Said::raised("boom 1054").template(), None);
        let mixed = Said::All(vec![
            Said::raised("x"),
            Common::NotRunBecauseGraphBroken.into(),
        ]);
        assert_eq!(mixed.template(), None);
    }

    #[test]
    fn report_json_holds_the_sentence_and_reads_back_as_recorded() {
        let s = Said::from(Common::NoSnapshot {
            name: "base".into(),
        });
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(j, "\"no snapshot named `base`\"");
        let back: Said = serde_json::from_str(&j).unwrap();
        assert!(matches!(&back, Said::Recorded(t) if t == "no snapshot named `base`"));
        assert_eq!(back.to_string(), s.to_string());
    }
}
