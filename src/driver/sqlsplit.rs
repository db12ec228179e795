//! Splits a SQL batch into statements the way the server counts them — quotes, comments and
//! `BEGIN … END` bodies of procedures respected — so a failure can name its statement.

/// Statements of `sql`, trimmed, empty ones dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0i32;
    let mut i = 0;
    let mut word = String::new();
    let flush_word = |word: &mut String, depth: &mut i32, next: &[u8]| {
        let w = word.to_ascii_uppercase();
        match w.as_str() {
            // `BEGIN` opens a compound body unless it starts a transaction (`BEGIN;`, `BEGIN WORK`).
            "BEGIN" => {
                let rest = std::str::from_utf8(next)
                    .unwrap_or("")
                    .trim_start()
                    .to_ascii_uppercase();
                if !(rest.starts_with(';')
                    || rest.starts_with("WORK")
                    || rest.starts_with("TRANSACTION")
                    || rest.is_empty())
                {
                    *depth += 1;
                }
            }
            "END" => {
                let rest = std::str::from_utf8(next)
                    .unwrap_or("")
                    .trim_start()
                    .to_ascii_uppercase();
                // `END IF`, `END LOOP`, `END WHILE`, `END CASE`, `END REPEAT` close inner blocks we never opened.
                let inner = ["IF", "LOOP", "WHILE", "CASE", "REPEAT"].iter().any(|k| {
                    rest.starts_with(k)
                        && !rest[k.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                if !inner && *depth > 0 {
                    *depth -= 1;
                }
            }
            _ => {}
        }
        word.clear();
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' | b'`' => {
                flush_word(&mut word, &mut depth, &bytes[i..]);
                let q = c;
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\\' && q != b'`' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == q {
                        if i + 1 < bytes.len() && bytes[i + 1] == q {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                flush_word(&mut word, &mut depth, &bytes[i..]);
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'#' => {
                flush_word(&mut word, &mut depth, &bytes[i..]);
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                flush_word(&mut word, &mut depth, &bytes[i..]);
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b';' => {
                flush_word(&mut word, &mut depth, &bytes[i..]);
                if depth == 0 {
                    push(&mut out, &sql[start..i]);
                    start = i + 1;
                }
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => word.push(c as char),
            _ => flush_word(&mut word, &mut depth, &bytes[i..]),
        }
        i += 1;
    }
    push(&mut out, &sql[start.min(sql.len())..]);
    out
}

fn push(out: &mut Vec<String>, s: &str) {
    let meaningful = s
        .lines()
        .map(str::trim)
        .any(|l| !l.is_empty() && !l.starts_with("--") && !l.starts_with('#'));
    if meaningful {
        // Leading comment lines belong to no statement; drop them from the quoted text.
        let body: Vec<&str> = s
            .lines()
            .skip_while(|l| {
                let t = l.trim();
                t.is_empty() || t.starts_with("--") || t.starts_with('#')
            })
            .collect();
        out.push(body.join("\n").trim().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_plain_statements_and_keeps_quoted_semicolons() {
        let s = split_statements("CREATE TABLE a (x varchar(5) DEFAULT ';');\n-- note; here\nINSERT INTO a VALUES ('x;y');");
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[1].starts_with("INSERT"));
    }

    #[test]
    fn procedure_bodies_are_one_statement() {
        let sql = "CREATE PROCEDURE p()\nBEGIN\n  IF 1 THEN SELECT 1; END IF;\n  SELECT 2;\nEND;\nCALL p();";
        let s = split_statements(sql);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].ends_with("END"));
        assert_eq!(s[1], "CALL p()");
    }

    #[test]
    fn transaction_begin_is_not_a_block() {
        assert_eq!(
            split_statements("BEGIN; UPDATE t SET a=1; COMMIT;").len(),
            3
        );
    }

    #[test]
    fn semicolons_in_every_kind_of_quote_and_comment_do_not_split() {
        let sql = "INSERT INTO t VALUES ('a;b', \"c;d\", 'it\\'s;', 'x'';y');\n\
                   /* block; comment */ SELECT `odd;name` FROM t; # hash; comment\n\
                   -- dash; comment\n\
                   SELECT 2";
        let s = split_statements(sql);
        assert_eq!(s.len(), 3, "{s:?}");
        assert!(s[0].ends_with("'x'';y')"), "{s:?}");
        assert!(s[1].contains("`odd;name`"), "{s:?}");
        assert_eq!(s[2], "SELECT 2", "a last statement without `;` counts");
    }

    #[test]
    fn comment_only_and_empty_text_has_no_statement() {
        assert!(split_statements("").is_empty());
        assert!(split_statements("-- nothing here;\n# nor here\n\n").is_empty());
        assert!(split_statements(";;\n;").is_empty());
        // Leading comment lines are not part of the statement's quoted text.
        assert_eq!(
            split_statements("-- +goose Up\n-- +goose StatementBegin\nSELECT 1;"),
            ["SELECT 1"]
        );
    }

    #[test]
    fn trigger_bodies_and_inner_blocks_stay_one_statement() {
        let sql = "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  \
                   CASE WHEN NEW.a < 0 THEN SET NEW.a = 0; ELSE SET NEW.a = NEW.a; END CASE;\n  \
                   WHILE NEW.a > 10 DO SET NEW.a = NEW.a - 1; END WHILE;\nEND;\n\
                   INSERT INTO t VALUES (1);";
        let s = split_statements(sql);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[1].starts_with("INSERT"));
        // `BEGIN WORK` and `START TRANSACTION` are statements, not blocks.
        assert_eq!(
            split_statements("BEGIN WORK; INSERT INTO t VALUES (1); COMMIT").len(),
            3
        );
    }

    #[test]
    fn words_ending_in_end_or_begin_are_not_keywords() {
        let s = split_statements("CREATE TABLE legend (begin_at int, ended int); SELECT 1;");
        assert_eq!(s.len(), 2, "{s:?}");
    }
}
