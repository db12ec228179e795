//! Reads Alembic version files without executing them: `revision`, `down_revision` (string,
//! `None` or tuple), `branch_labels`, `depends_on`, the docstring's first line, and whether
//! `downgrade()` does anything.

use std::path::Path;

use regex::Regex;

use super::{Chain, DowngradeKind, Revision};

fn assignment(src: &str, name: &str) -> Option<(String, usize)> {
    // `name = ...` or `name: Union[str, None] = ...` at the start of a line; a bracket left
    // open (black's multi-line tuples) continues the value until it closes.
    let re = Regex::new(&format!(r"(?m)^{name}\s*(?::[^=\n]*)?=\s*(.+)$")).expect("regex");
    re.captures(src).map(|c| {
        let whole = c.get(1).expect("group");
        let line = src[..c.get(0).expect("match").start()]
            .matches('\n')
            .count()
            + 1;
        let mut value = whole.as_str().to_string();
        let opens = |v: &str| v.matches(['(', '[']).count() > v.matches([')', ']']).count();
        if opens(&value) {
            let rest = &src[whole.end()..];
            let close = rest.find([')', ']']).map(|i| i + 1).unwrap_or(rest.len());
            value.push_str(&rest[..close]);
        }
        (value.trim().to_string(), line)
    })
}

/// `'a'` → [a]; `None` → []; `('a', 'b')` / `['a','b']` → [a, b].
fn string_list(expr: &str) -> Vec<String> {
    let re = Regex::new(r#"['"]([^'"]+)['"]"#).expect("regex");
    re.captures_iter(expr).map(|c| c[1].to_string()).collect()
}

fn docstring_title(src: &str) -> String {
    let t = src.trim_start();
    for q in ["\"\"\"", "'''"] {
        if let Some(rest) = t.strip_prefix(q) {
            return rest
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .trim_end_matches(q)
                .to_string();
        }
    }
    String::new()
}

/// Classifies the body of `def downgrade(...)`: only `pass`, docstrings and comments → Empty,
/// unless the upgrade is empty too (a no-op revision has nothing to undo).
fn downgrade_kind(src: &str) -> DowngradeKind {
    match body_kind(src, "def downgrade") {
        DowngradeKind::Empty if body_kind(src, "def upgrade") == DowngradeKind::Empty => {
            DowngradeKind::Present
        }
        k => k,
    }
}

/// Whether the function `def_prefix` is missing, empty or does something.
fn body_kind(src: &str, def_prefix: &str) -> DowngradeKind {
    let mut lines = src.lines();
    if !lines.any(|l| l.starts_with(def_prefix)) {
        return DowngradeKind::Missing;
    }
    let mut meaningful = false;
    let mut in_doc: Option<&str> = None;
    for l in lines {
        if !l.is_empty() && !l.starts_with([' ', '\t', '#']) && !l.trim().is_empty() {
            break; // next top-level statement
        }
        let t = l.trim();
        if let Some(q) = in_doc {
            if t.contains(q) {
                in_doc = None;
            }
            continue;
        }
        if t.is_empty() || t.starts_with('#') || t == "pass" {
            continue;
        }
        if let Some(q) = ["\"\"\"", "'''"].into_iter().find(|q| t.starts_with(q)) {
            if !(t.len() > 3 && t[3..].contains(q)) {
                in_doc = Some(q);
            }
            continue;
        }
        meaningful = true;
        break;
    }
    if meaningful {
        DowngradeKind::Present
    } else {
        DowngradeKind::Empty
    }
}

pub fn parse_alembic_file(src: &str, path: &Path) -> Option<Revision> {
    let (rev, line) = assignment(src, "revision")?;
    let id = string_list(&rev).into_iter().next()?;
    let parents = assignment(src, "down_revision")
        .map(|(e, _)| string_list(&e))
        .unwrap_or_default();
    Some(Revision {
        id,
        parents,
        description: docstring_title(src),
        file: Some(path.to_path_buf()),
        line: Some(line),
        downgrade: downgrade_kind(src),
        branch_labels: assignment(src, "branch_labels")
            .map(|(e, _)| string_list(&e))
            .unwrap_or_default(),
        depends_on: assignment(src, "depends_on")
            .map(|(e, _)| string_list(&e))
            .unwrap_or_default(),
    })
}

/// Parses every `*.py` in an Alembic versions directory; files without a `revision` are orphans.
pub fn parse_alembic_dir(dir: &Path) -> std::io::Result<Chain> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    let mut chain = Chain::default();
    for f in files {
        let bytes = std::fs::read(&f)?;
        let src = String::from_utf8_lossy(&bytes);
        match parse_alembic_file(&src, &f) {
            Some(r) => chain.revisions.push(r),
            None if f.file_name().is_some_and(|n| n != "__init__.py") => chain.orphans.push(f),
            None => {}
        }
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#""""Fix API token column - ensure api_token exists

Revision ID: d1f2e3c4b5a6
Revises: c682ef478e45
"""
from alembic import op

revision = 'd1f2e3c4b5a6'
down_revision: Union[str, None] = 'c682ef478e45'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('x', sa.Integer()))


def downgrade():
    """Nothing to undo."""
    # comment
    pass
"#;

    #[test]
    fn a_revision_with_nothing_to_undo_has_no_empty_downgrade() {
        let noop = "revision = 'a'\ndown_revision = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n";
        let r = parse_alembic_file(noop, Path::new("a.py")).unwrap();
        assert_eq!(r.downgrade, DowngradeKind::Present);
    }

    #[test]
    fn reads_ids_parents_description_and_empty_downgrade() {
        let r = parse_alembic_file(FILE, Path::new("v.py")).unwrap();
        assert_eq!(r.id, "d1f2e3c4b5a6");
        assert_eq!(r.parents, ["c682ef478e45"]);
        assert_eq!(
            r.description,
            "Fix API token column - ensure api_token exists"
        );
        assert_eq!(r.downgrade, DowngradeKind::Empty);
        assert_eq!(r.line, Some(8));
    }

    #[test]
    fn reads_black_formatted_multiline_tuples() {
        let src = "revision = \"m2\"\ndown_revision = (\n    \"a\",\n    \"b\",\n)\nbranch_labels = None\n";
        let r = parse_alembic_file(src, Path::new("m.py")).unwrap();
        assert_eq!(r.parents, ["a", "b"]);
        assert!(r.branch_labels.is_empty());
    }

    #[test]
    fn reads_merge_tuples_and_none() {
        let src = "\"\"\"merge\"\"\"\nrevision = \"m1\"\ndown_revision = ('a', \"b\")\ndepends_on = None\ndef downgrade():\n    op.drop_table('t')\n";
        let r = parse_alembic_file(src, Path::new("m.py")).unwrap();
        assert_eq!(r.parents, ["a", "b"]);
        assert_eq!(r.downgrade, DowngradeKind::Present);
        let base = parse_alembic_file("revision = 'a'\ndown_revision = None\n", Path::new("a.py"))
            .unwrap();
        assert!(base.parents.is_empty());
        assert_eq!(base.downgrade, DowngradeKind::Missing);
    }
}
