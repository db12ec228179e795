//! `Redactor`: removes credentials from anything that leaves the process (logs, reports, console).

use std::sync::{Arc, RwLock};

const MASK: &str = "***";

/// Holds every secret the run knows (passwords of servers and of URLs from the config) and
/// replaces them, plus the password part of any `scheme://user:pass@host` URL, with `***`.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(..)")
    }
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret, in its plain and URL-encoded spellings.
    pub fn add(&self, secret: &str) {
        if secret.len() < 3 {
            // Masking one- or two-character strings would shred ordinary text; such a
            // password is still caught inside URLs by the pattern below.
            return;
        }
        let mut s = self.secrets.write().expect("redactor lock");
        for v in [secret.to_string(), crate::db::url_encode(secret)] {
            if !s.contains(&v) {
                s.push(v);
            }
        }
        // Longest first, so a secret containing another is masked whole.
        s.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = url_password_pattern()
            .replace_all(text, |c: &regex::Captures| {
                format!("{}{}{}", &c[1], MASK, &c[3])
            })
            .into_owned();
        for s in self.secrets.read().expect("redactor lock").iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }
}

fn url_password_pattern() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"([a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)([^@\s]*)(@)").expect("regex")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_url_passwords_and_registered_secrets() {
        let r = Redactor::new();
        r.add("s3cr3t/pw");
        let text = "mysql+pymysql://root:s3cr3t%2Fpw@127.0.0.1:3306/db and s3cr3t/pw and mysql://u:other@h/";
        let out = r.redact(text);
        assert!(!out.contains("s3cr3t"), "{out}");
        assert!(!out.contains("other"), "{out}");
        assert!(
            out.contains("mysql+pymysql://root:***@127.0.0.1:3306/db"),
            "{out}"
        );
    }

    #[test]
    fn leaves_plain_text_alone() {
        let r = Redactor::new();
        r.add("pw");
        assert_eq!(
            r.redact("Running upgrade pw -> x"),
            "Running upgrade pw -> x"
        );
    }
}
