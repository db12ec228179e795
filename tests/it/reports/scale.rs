//! Against a real local server: a generated 55-revision golang-migrate chain (30 empty
//! downgrades, one failing downgrade at the head) gives a report that scales — report.md a
//! summary under 25 KB with no long line repeated and history counted per kind, repetitions
//! grouped with a count in report.html, the failing statement in md, html, the console and a
//! JUnit test case named after the revision.

use crate::common;

use std::sync::OnceLock;

use common::{harness, Run};

const REVISIONS: usize = 55;
/// Revisions 20..=49 have an empty down file.
const EMPTY_DOWN: std::ops::RangeInclusive<usize> = 20..=49;
const BAD_STATEMENT: &str = "ALTER TABLE t1 DROP COLUMN nope_55";

/// Writes the chain: 000001 creates `t1`, every later revision adds a column; each down file
/// drops it again, except the empty ones and the head's, which drops a column that is not there.
fn generate(dir: &std::path::Path) {
    let m = dir.join("migrations");
    std::fs::create_dir_all(&m).unwrap();
    for i in 1..=REVISIONS {
        let (up, down) = if i == 1 {
            (
                "CREATE TABLE t1 (id int NOT NULL, PRIMARY KEY (id));".to_string(),
                "DROP TABLE t1;".to_string(),
            )
        } else if i == REVISIONS {
            (
                format!("ALTER TABLE t1 ADD COLUMN c{i} int NULL;"),
                format!("{BAD_STATEMENT};"),
            )
        } else if EMPTY_DOWN.contains(&i) {
            (
                format!("ALTER TABLE t1 ADD COLUMN c{i} int NULL;"),
                String::new(),
            )
        } else {
            (
                format!("ALTER TABLE t1 ADD COLUMN c{i} int NULL;"),
                format!("ALTER TABLE t1 DROP COLUMN c{i};"),
            )
        };
        std::fs::write(m.join(format!("{i:06}_c{i}.up.sql")), up).unwrap();
        std::fs::write(m.join(format!("{i:06}_c{i}.down.sql")), down).unwrap();
    }
    std::fs::write(
        dir.join("harness.toml"),
        "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\ndir = \"migrations\"\n",
    )
    .unwrap();
}

fn run() -> &'static (tempfile::TempDir, Run) {
    static RUN: OnceLock<(tempfile::TempDir, Run)> = OnceLock::new();
    RUN.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        generate(d.path());
        let cfg = d.path().join("harness.toml");
        let r = harness(
            &[
                "--config",
                cfg.to_str().unwrap(),
                "--db",
                "local",
                "--scenario",
                "all",
                "--jobs",
                "2",
            ],
            &[],
        );
        (d, r)
    })
}

#[test]
fn report_md_stays_small_and_repeats_no_long_line() {
    let (_, r) = run();
    assert_eq!(r.code, 1, "the head's downgrade fails: {}", r.stderr);
    let md = r.file("report.md");
    assert!(
        md.len() < 25 * 1024,
        "report.md is {} bytes for {REVISIONS} revisions",
        md.len()
    );
    let mut seen = std::collections::HashMap::new();
    for line in md.lines().filter(|l| l.chars().count() > 200) {
        *seen.entry(line).or_insert(0) += 1;
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "long lines repeated: {repeated:?}");
}

/// The text of the grouped findings list in report.html, one finding line per `<li>`,
/// tags and the mark's SVG removed.
fn grouped_items(html: &str) -> Vec<String> {
    let list = html
        .split("<ol class=\"findings\">")
        .nth(1)
        .and_then(|t| t.split("</ol>").next())
        .unwrap_or_else(|| panic!("no grouped findings list in the HTML"));
    let tag = regex::Regex::new(r"<[^>]*>").unwrap();
    list.split("<li>")
        .skip(1)
        .map(|li| tag.replace_all(li, "").trim().to_string())
        .collect()
}

#[test]
fn repetitions_are_grouped_with_a_count_and_the_revisions() {
    let (_, r) = run();
    let n = EMPTY_DOWN.count();
    // report.md counts the history per kind, with the revisions as a range.
    let md = r.file("report.md");
    let history = md
        .split("## History")
        .nth(1)
        .unwrap_or_else(|| panic!("{md}"));
    let empty = history
        .lines()
        .find(|l| l.starts_with(&format!("| empty downgrade | {n} |")))
        .unwrap_or_else(|| panic!("no empty-downgrade history row in:\n{md}"));
    assert!(empty.contains("000020 … 000049"), "{empty}");
    assert_eq!(
        md.matches("000033 has an empty downgrade").count(),
        0,
        "the empty downgrades are listed one by one"
    );
    // report.html ranks them: the head's failure first, then each group of alike findings
    // on one line, the empty files' 1065s traced to the empty migrations that caused them.
    let items = grouped_items(&r.file("report.html"));
    assert!(
        items[0].contains("F1: blocking · downgrade of 000055 failed: 1091"),
        "{items:#?}"
    );
    assert!(items.len() <= 5, "{items:#?}");
    let empty = items
        .iter()
        .find(|l| l.contains(&format!("{n} × history · ‹rev› has an empty downgrade")))
        .unwrap_or_else(|| panic!("{items:#?}"));
    assert!(empty.contains("000020 … 000049"), "{empty}");
    let sent = items
        .iter()
        .find(|l| l.contains(&format!("{n} × history · downgrade of ‹rev› failed: 1065")))
        .unwrap_or_else(|| panic!("{items:#?}"));
    // Each group names its findings' ids, and the causes are ids that are listed.
    let ids_of = |line: &str| line.split(": ").next().unwrap().trim().to_string();
    let empty_ids = ids_of(empty);
    assert!(
        empty_ids.starts_with('F') && empty_ids.contains('–'),
        "{empty}"
    );
    assert!(sent.ends_with(&format!("caused by {empty_ids}")), "{sent}");
    let j = r.json();
    assert_eq!(j["findings"].as_array().unwrap().len(), 2 + 2 * n);
}

#[test]
fn the_failing_statement_is_in_md_html_and_the_console() {
    let (_, r) = run();
    let md = r.file("report.md");
    let block = format!("```sql\n    {BAD_STATEMENT}\n    ```");
    assert!(md.contains(&block), "no ```sql block with the statement");
    let html = r.file("report.html");
    assert!(
        html.contains(&format!("<pre class=\"sql\">{BAD_STATEMENT}</pre>")),
        "no <pre> with the statement"
    );
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("walk down") && l.contains("000055") && l.contains("FAIL"))
        .unwrap_or_else(|| panic!("no console line for the failing walk step:\n{}", r.stderr));
    assert!(line.contains("1091"), "{line}");
    assert!(line.contains(BAD_STATEMENT), "{line}");
    // The half-applied state stands under the failing finding.
    assert!(
        md.contains("version table moved from 000055 to 000054"),
        "{md}"
    );
}

#[test]
fn junit_has_a_test_case_per_revision_with_the_failing_statement() {
    use quick_xml::events::Event;
    use quick_xml::XmlVersion;
    let (_, r) = run();
    let xml = r.file("junit.xml");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut case: Option<String> = None;
    let mut in_failure = false;
    let mut cases = Vec::new();
    let mut failing: Vec<(String, String, String)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let name = e
                    .try_get_attribute("name")
                    .unwrap()
                    .unwrap()
                    .normalized_value(XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned();
                cases.push(name.clone());
                case = Some(name);
            }
            Event::Start(e) if e.name().as_ref() == b"failure" => {
                let msg = e
                    .try_get_attribute("message")
                    .unwrap()
                    .map(|a| {
                        a.normalized_value(XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                    .unwrap_or_default();
                failing.push((case.clone().unwrap(), msg, String::new()));
                in_failure = true;
            }
            Event::Text(t) if in_failure => {
                failing.last_mut().unwrap().2.push_str(&t.decode().unwrap());
            }
            // quick-xml 0.41 reports `&apos;` and friends as events of their own.
            Event::GeneralRef(g) if in_failure => {
                let name = g.decode().unwrap();
                let c = quick_xml::escape::resolve_predefined_entity(&name).unwrap_or("?");
                failing.last_mut().unwrap().2.push_str(c);
            }
            Event::End(e) if e.name().as_ref() == b"failure" => in_failure = false,
            Event::Eof => break,
            _ => {}
        }
    }
    for i in 1..=REVISIONS {
        let name = format!("chain / walk up {i:06}");
        assert!(cases.contains(&name), "no test case {name}: {cases:?}");
    }
    let (_, msg, body) = failing
        .iter()
        .find(|(n, _, _)| n == "chain / walk down 000055")
        .unwrap_or_else(|| panic!("no failing case for 000055's downgrade: {failing:?}"));
    assert!(msg.contains("1091") && msg.contains(BAD_STATEMENT), "{msg}");
    assert!(body.contains(BAD_STATEMENT), "{body}");
    assert!(
        body.contains("version table moved from 000055 to 000054"),
        "the half-applied state: {body}"
    );
}

#[test]
fn words_fit_a_sql_directory() {
    let (_, r) = run();
    for f in ["report.md", "report.html"] {
        assert!(!r.file(f).contains("down_revision"), "Alembic words in {f}");
    }
    let html = r.file("report.html");
    assert!(html.contains("versions in order"), "{html}");
}
