//! SQL and messages on one line, for step titles and messages.

/// `s` with every run of whitespace (newlines included) one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` on one line, cut at `n` characters with `…`.
pub fn short(s: &str, n: usize) -> String {
    let one = one_line(s);
    if one.chars().count() <= n {
        one
    } else {
        format!("{}…", one.chars().take(n).collect::<String>())
    }
}
