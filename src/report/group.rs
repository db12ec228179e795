//! `Grouper`: folds messages that differ only in the revision they name into one line with a
//! count and the list of revisions ("30 × ‹rev› has an empty downgrade … — 000020 … 000049"),
//! so a 55-revision chain does not print the same sentence 30 times. A message this run
//! worded brings its own template (its wording with the revisions masked); only text it did
//! not word (a server's error, a report read back) is masked by the ids the grouper knows.

use std::collections::HashMap;

pub use crate::said::REV;
use crate::said::{Masked, Words};

/// One message to group: its words, its template and the revision it is about.
#[derive(Debug, Clone)]
pub struct Member {
    pub text: String,
    pub template: String,
    pub revision: Option<String>,
}

/// Messages sharing a template (the text with every revision id replaced by [`REV`]).
#[derive(Debug, Clone)]
pub struct Group {
    pub template: String,
    /// The first message as it was written (with its real revision ids).
    pub example: String,
    /// Revisions named by the members, in the order seen, without repeats.
    pub revisions: Vec<String>,
    pub count: usize,
}

/// Knows the chain's revision ids and their order, to recognise and list them.
pub struct Grouper {
    order: HashMap<String, usize>,
}

impl Grouper {
    pub fn new<'a>(revisions: impl IntoIterator<Item = &'a str>) -> Self {
        Grouper {
            order: revisions
                .into_iter()
                .enumerate()
                .map(|(i, r)| (r.to_string(), i))
                .collect(),
        }
    }

    /// `msg` with every whole-token revision id replaced by [`REV`], and the first id found.
    pub fn template(&self, msg: &str) -> (String, Option<String>) {
        let mut out = String::with_capacity(msg.len());
        let mut first = None;
        let mut token = String::new();
        let flush = |token: &mut String, out: &mut String, first: &mut Option<String>| {
            if self.order.contains_key(token.as_str()) {
                first.get_or_insert_with(|| token.clone());
                out.push_str(REV);
            } else {
                out.push_str(token);
            }
            token.clear();
        };
        for c in msg.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                token.push(c);
            } else {
                flush(&mut token, &mut out, &mut first);
                out.push(c);
            }
        }
        flush(&mut token, &mut out, &mut first);
        (out, first)
    }

    /// A message about `revision`, its template from its own wording when typed.
    pub fn member(&self, m: &dyn Words, revision: Option<String>) -> Member {
        let text = Masked::shown(m);
        let template = if m.worded() {
            Masked(m).to_string()
        } else {
            self.template(&text).0
        };
        Member {
            text,
            template,
            revision,
        }
    }

    /// The template of a message `m`, as [`Grouper::member`] makes it.
    pub fn template_of(&self, m: &dyn Words) -> String {
        self.member(m, None).template
    }

    /// A line of text the run did not word: masked by the revision ids the grouper knows.
    #[cfg(test)]
    pub fn text(&self, text: String, revision: Option<String>) -> Member {
        let (template, _) = self.template(&text);
        Member {
            text,
            template,
            revision,
        }
    }

    /// Groups members by template, keeping the order of first sight. The revisions listed
    /// are the members' own (typed), never ids read out of the text.
    pub fn group(&self, items: impl IntoIterator<Item = Member>) -> Vec<Group> {
        let mut groups: Vec<Group> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for Member {
            text: msg,
            template,
            revision: rev,
        } in items
        {
            let i = *index.entry(template.clone()).or_insert_with(|| {
                groups.push(Group {
                    template,
                    example: msg,
                    revisions: Vec::new(),
                    count: 0,
                });
                groups.len() - 1
            });
            let g = &mut groups[i];
            g.count += 1;
            if let Some(r) = rev {
                if !g.revisions.contains(&r) {
                    g.revisions.push(r);
                }
            }
        }
        groups
    }

    /// `000020 … 000049` for runs of three or more neighbours in the chain, commas otherwise.
    pub fn list(&self, revisions: &[String]) -> String {
        let mut sorted: Vec<&String> = revisions.iter().collect();
        sorted.sort_by_key(|r| self.order.get(r.as_str()).copied().unwrap_or(usize::MAX));
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < sorted.len() {
            let mut j = i;
            while j + 1 < sorted.len() {
                match (
                    self.order.get(sorted[j].as_str()),
                    self.order.get(sorted[j + 1].as_str()),
                ) {
                    (Some(a), Some(b)) if b == &(a + 1) => j += 1,
                    _ => break,
                }
            }
            if j - i >= 2 {
                parts.push(format!("{} … {}", sorted[i], sorted[j]));
            } else {
                parts.extend(sorted[i..=j].iter().map(|r| r.to_string()));
            }
            i = j + 1;
        }
        parts.join(", ")
    }

    /// One group in full: the message itself, or `N × template — revisions`.
    pub fn full(&self, g: &Group) -> String {
        if g.count == 1 {
            g.example.clone()
        } else if g.revisions.is_empty() {
            format!("{} × {}", g.count, g.example)
        } else {
            format!("{} × {} — {}", g.count, g.template, self.list(&g.revisions))
        }
    }

    /// One group on one line of at most about `max` characters: whole clauses of the
    /// message while they fit.
    pub fn short(&self, g: &Group, max: usize) -> String {
        if g.count == 1 {
            clauses(&g.example, max)
        } else {
            let list = shorten(&self.list(&g.revisions), 60);
            let budget = max.saturating_sub(list.chars().count() + 8).max(40);
            format!("{} × {} ({list})", g.count, clauses(&g.template, budget))
        }
    }
}

/// The leading `; `-separated clauses of `s` that fit in `max` characters, `…` if some
/// were left out; a first clause too long on its own is cut.
pub fn clauses(s: &str, max: usize) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.chars().count() <= max {
        return s;
    }
    let mut out = String::new();
    for c in s.split("; ") {
        let sep = if out.is_empty() { 0 } else { 2 };
        // Room for this clause and the closing `; …`.
        if out.chars().count() + sep + c.chars().count() + 3 > max {
            break;
        }
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(c);
    }
    if out.is_empty() {
        shorten(&s, max)
    } else {
        out.push_str("; …");
        out
    }
}

/// At most `max` characters on one line, with `…` where it was cut.
pub fn shorten(s: &str, max: usize) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grouper() -> Grouper {
        Grouper::new(["000001", "000002", "000003", "000004", "000005"])
    }

    #[test]
    fn messages_differing_only_in_revision_group_with_a_count() {
        let g = grouper();
        let groups = g.group(
            [
                ("000002 has an empty downgrade", Some("000002")),
                ("000003 has an empty downgrade", Some("000003")),
                ("000004 has an empty downgrade", Some("000004")),
                ("downgrade of 000005 failed: 1091", Some("000005")),
            ]
            .map(|(m, r)| g.text(m.to_string(), r.map(str::to_string))),
        );
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].count, 3);
        assert_eq!(
            g.full(&groups[0]),
            "3 × ‹rev› has an empty downgrade — 000002 … 000004"
        );
        assert_eq!(g.full(&groups[1]), "downgrade of 000005 failed: 1091");
    }

    #[test]
    fn a_typed_message_masks_only_the_revisions_its_wording_names() {
        use crate::said::{Common, Said};
        let g = grouper();
        // A snapshot named like a revision is not a revision: its words say so.
        let typed = ["000002", "000003"].map(|n| Said::from(Common::NoSnapshot { name: n.into() }));
        let groups = g.group(typed.iter().map(|s| g.member(s, None)));
        assert_eq!(groups.len(), 2, "{groups:?}");
        // Text the run did not word is masked by the ids the grouper knows.
        let raised = ["000002", "000003"].map(|n| Said::raised(format!("no snapshot named `{n}`")));
        let groups = g.group(raised.iter().map(|s| g.member(s, None)));
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(groups[0].template, "no snapshot named `‹rev›`");
    }

    #[test]
    fn half_applied_summaries_group_although_their_version_table_line_names_the_revision() {
        use crate::said::{Left, Quoted, Said};
        let g = grouper();
        let stays = |r: &str| {
            Said::from(Left::StaysApplied {
                revision: Some(r.into()),
                statements: 1,
                failed: Some(2),
                version_table: Quoted::new(format!("still at {r}")),
                again: Quoted::new("1091 Can't DROP INDEX `ix`"),
            })
        };
        let members = [stays("000002"), stays("000003")];
        let groups = g.group(members.iter().map(|s| g.member(s, None)));
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(
            groups[0].template,
            "1 statement(s) of ‹rev› stay applied after statement 2 failed; \
             version table still at ‹rev›; re-running fails with 1091 Can't DROP INDEX `ix`"
        );
    }

    #[test]
    fn the_revisions_listed_are_the_members_own_not_ids_in_their_text() {
        let g = grouper();
        let groups = g.group(
            [
                ("000002 and 000003 differ", None),
                ("000003 and 000004 differ", None),
            ]
            .map(|(m, r): (&str, Option<&str>)| g.text(m.to_string(), r.map(str::to_string))),
        );
        assert_eq!(groups.len(), 1);
        assert!(groups[0].revisions.is_empty(), "{:?}", groups[0].revisions);
        assert_eq!(g.full(&groups[0]), "2 × 000002 and 000003 differ");
    }

    #[test]
    fn only_whole_tokens_are_revisions() {
        let (t, first) = grouper().template("x0000010 and 000001, t_000002");
        assert_eq!(t, "x0000010 and ‹rev›, t_000002");
        assert_eq!(first.as_deref(), Some("000001"));
    }

    #[test]
    fn lists_use_chain_order_and_ranges() {
        let g = grouper();
        let revs: Vec<String> = ["000005", "000001", "000002", "000004"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(g.list(&revs), "000001, 000002, 000004, 000005");
        let all: Vec<String> = ["000003", "000001", "000002"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(g.list(&all), "000001 … 000003");
    }

    #[test]
    fn clauses_keep_whole_clauses_while_they_fit() {
        assert_eq!(clauses("aaa; bbb; ccc", 20), "aaa; bbb; ccc");
        assert_eq!(clauses("aaaa; bbbb; cccc", 12), "aaaa; …");
        assert_eq!(clauses("aaaaaaaaaaaa; b", 6), "aaaaa…");
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("ab→cd", 4), "ab→…");
        assert_eq!(shorten("a\nb", 10), "a b");
    }
}
