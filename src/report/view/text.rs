//! Text helpers the renderers share: durations, status classes, bounded tool logs and the
//! markdown escapes that keep tool text from breaking a table row or closing a code block.

use crate::scenario::Status;

pub fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

pub fn class(st: Status) -> &'static str {
    match st {
        Status::Passed => "pass",
        Status::Failed => "fail",
        Status::Skipped => "skip",
        Status::Error => "error",
    }
}

/// Python tracebacks shrink to their last frame and the exception line: the frames of
/// SQLAlchemy and PyMySQL tell a release manager nothing.
pub fn condense(log: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut frames = 0usize;
    let mut in_tb = false;
    for line in log.lines() {
        if line.starts_with("Traceback (most recent call last)") {
            in_tb = true;
            frames = 0;
            out.push(line.to_string());
            continue;
        }
        if in_tb && (line.starts_with(' ') || line.trim().is_empty()) {
            frames += 1;
            continue;
        }
        if in_tb {
            in_tb = false;
            if frames > 0 {
                out.push(format!("  [… {frames} traceback lines omitted …]"));
            }
        }
        out.push(line.to_string());
    }
    out.join("\n")
}

/// Keeps the last `n` lines of a log: the end is where the failure is.
pub fn tail_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    if lines.len() <= n {
        return s.to_string();
    }
    format!(
        "[… {} earlier lines omitted …]\n{}",
        lines.len() - n,
        lines[lines.len() - n..].join("\n")
    )
}

/// Markdown table cell: no pipe or newline may break the row.
pub fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Markdown inline text on one line (bullets): newlines flattened.
pub fn md_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A fence longer than any backtick run inside `s`, so content cannot close it.
pub fn md_fence(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Inline code that survives backticks in its content.
pub fn md_code(s: &str) -> String {
    let s = md_line(s);
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let f = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{f} {s} {f}")
    } else {
        format!("{f}{s}{f}")
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_hold() {
        assert_eq!(md_cell("a | b\nc"), "a \\| b c");
        assert_eq!(md_fence("x ``` y"), "````");
        assert_eq!(md_fence("plain"), "```");
        assert_eq!(md_code("a`b"), "`` a`b ``");
    }
}
