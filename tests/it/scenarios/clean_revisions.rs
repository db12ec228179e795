//! A clean revision produces no finding, as a property over every example and fixture chain
//! that has a `harness.toml`: the test copies the project, inserts clean revisions — a no-op
//! (`pass` / `SELECT 1;`), an index on a column no foreign key uses (so it never takes over a
//! foreign key's index), a nullable `ADD COLUMN` — after the first revision and at head, and
//! runs the per-revision scenarios. With `idempotency`, `hotfix` and `resumable` off no finding
//! may name an inserted revision; under the defaults (crash-resume) none may block.
//!
//! The inserted revisions find their table at run time (information_schema and a prepared
//! statement), so one generator serves every chain without knowing its schema.
//! Server: `MH_TEST_IMAGE` (a container image such as `migration-harness/mysql:9.7`) or
//! `MH_TEST_SERVER_BINARY` (a mariadbd/mysqld), else the local mariadbd; the examples run on
//! MySQL 9.7 as well (`MH_TEST_MYSQL_IMAGE`). `MH_CLEAN_ONLY` (a substring of the project
//! path) narrows the run while debugging.

use crate::common;

use std::path::{Path, PathBuf};

use common::{copy_dir, harness, repo, Run};
use regex::Regex;
use serde_json::Value;

/// What the test inserts, in chain order at each position.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Clean {
    Noop,
    Index,
    AddColumn,
}

const CLEAN: [Clean; 3] = [Clean::Noop, Clean::Index, Clean::AddColumn];

/// Tables of the tools themselves: never the inserted revisions' target.
const TOOL_TABLES: &str =
    "'alembic_version', 'schema_migrations', '_sqlx_migrations', 'goose_db_version'";

/// `SET @mh_s = …; PREPARE; EXECUTE` of `ddl` (SQL building the statement from `@mh_t`,
/// `@mh_c`), or `SELECT 1` when `find` found no table.
fn dynamic(find: &str, ddl: &str) -> Vec<String> {
    vec![
        "SET @mh_t = NULL, @mh_c = NULL".into(),
        find.to_string(),
        format!("SET @mh_s = IF(@mh_t IS NULL, 'SELECT 1', {ddl})"),
        "PREPARE mh_stmt FROM @mh_s".into(),
        "EXECUTE mh_stmt".into(),
        "DEALLOCATE PREPARE mh_stmt".into(),
    ]
}

/// The statements of `kind`'s upgrade and downgrade (`n` keeps names apart).
fn statements(kind: Clean, n: usize) -> (Vec<String>, Vec<String>) {
    let ix = format!("ix_mh_clean_{n}");
    let col = format!("mh_clean_{n}");
    match kind {
        Clean::Noop => (vec!["SELECT 1".into()], vec!["SELECT 1".into()]),
        Clean::Index => (
            dynamic(
                &format!(
                    "SELECT c.TABLE_NAME, c.COLUMN_NAME INTO @mh_t, @mh_c FROM information_schema.COLUMNS c \
                     JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
                     WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' \
                     AND c.TABLE_NAME NOT IN ({TOOL_TABLES}) \
                     AND c.DATA_TYPE IN ('int', 'bigint', 'smallint', 'date', 'datetime') \
                     AND INSTR(UPPER(c.EXTRA), 'GENERATED') = 0 \
                     AND NOT EXISTS (SELECT 1 FROM information_schema.KEY_COLUMN_USAGE k \
                       WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME \
                       AND k.COLUMN_NAME = c.COLUMN_NAME AND k.REFERENCED_TABLE_NAME IS NOT NULL) \
                     ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION LIMIT 1"
                ),
                &format!("CONCAT('CREATE INDEX {ix} ON `', @mh_t, '` (`', @mh_c, '`)')"),
            ),
            dynamic(
                &format!(
                    "SELECT TABLE_NAME INTO @mh_t FROM information_schema.STATISTICS \
                     WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = '{ix}' LIMIT 1"
                ),
                &format!("CONCAT('DROP INDEX {ix} ON `', @mh_t, '`')"),
            ),
        ),
        Clean::AddColumn => (
            dynamic(
                &format!(
                    "SELECT TABLE_NAME INTO @mh_t FROM information_schema.TABLES \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' \
                     AND TABLE_NAME NOT IN ({TOOL_TABLES}) ORDER BY TABLE_NAME LIMIT 1"
                ),
                &format!("CONCAT('ALTER TABLE `', @mh_t, '` ADD COLUMN {col} VARCHAR(40) NULL')"),
            ),
            dynamic(
                &format!(
                    "SELECT TABLE_NAME INTO @mh_t FROM information_schema.COLUMNS \
                     WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = '{col}' LIMIT 1"
                ),
                &format!("CONCAT('ALTER TABLE `', @mh_t, '` DROP COLUMN {col}')"),
            ),
        ),
    }
}

/// A project copied to a temp dir with clean revisions inserted; `inserted` are their ids.
struct Variant {
    /// Kept for its lifetime: the copy is removed when the variant is dropped.
    _dir: tempfile::TempDir,
    config: PathBuf,
    inserted: Vec<String>,
}

fn toml_of(config: &Path) -> toml::Table {
    std::fs::read_to_string(config).unwrap().parse().unwrap()
}

fn migrations_key<'a>(t: &'a toml::Table, key: &str) -> Option<&'a str> {
    t.get("migrations")?.get(key)?.as_str()
}

/// Copies the project of `config`; paths leaving it (`../requirements.txt`) become absolute.
fn copy_project(config: &Path) -> (tempfile::TempDir, PathBuf) {
    let src = config.parent().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(src, tmp.path());
    let out = tmp.path().join("harness.toml");
    let text = std::fs::read_to_string(config).unwrap();
    let up = Regex::new(r#""(\.\./[^"]*)""#).unwrap();
    let text = up.replace_all(&text, |c: &regex::Captures| {
        format!("{:?}", src.join(&c[1]).canonicalize().unwrap())
    });
    std::fs::write(&out, text.as_ref()).unwrap();
    (tmp, out)
}

fn sqldir(config: &Path, format: &str) -> Option<Variant> {
    let (tmp, cfg) = copy_project(config);
    let t = toml_of(&cfg);
    let dir = tmp
        .path()
        .join(migrations_key(&t, "dir").unwrap_or("migrations"));
    // dbmate and goose keep up and down in one file, under their own markers.
    let markers = match format {
        "dbmate" => Some(("-- migrate:up", "-- migrate:down")),
        "goose" => Some(("-- +goose Up", "-- +goose Down")),
        _ => None,
    };
    let file = Regex::new(if markers.is_some() {
        r"^(\d+)_(.+)\.sql$"
    } else {
        r"^(\d+)_(.+)\.(up|down)\.sql$"
    })
    .unwrap();
    let mut versions: Vec<(u128, usize)> = Vec::new();
    let mut files = Vec::new();
    for e in std::fs::read_dir(&dir).ok()?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(c) = file.captures(&name) {
            let v: u128 = c[1].parse().unwrap();
            versions.push((v, c[1].len()));
            files.push((name.clone(), v, c[1].len()));
        }
    }
    versions.sort();
    versions.dedup();
    if versions.len() < 2 || versions.windows(2).any(|w| w[0].0 == w[1].0) {
        return None; // not a chain to insert into (a duplicate-version fixture)
    }
    let width = versions.iter().map(|v| v.1).max().unwrap() + 1;
    let id = |v: u128| format!("{v:0width$}");
    // Room between versions: every version × 10, the inserted ones in between.
    for (name, v, w) in &files {
        let renamed = format!("{}{}", id(v * 10), &name[*w..]);
        std::fs::rename(dir.join(name), dir.join(renamed)).unwrap();
    }
    let text = std::fs::read_to_string(&cfg).unwrap();
    let rev = Regex::new(r#"(?m)^(\s*revision\s*=\s*")(\d+)""#).unwrap();
    let text = rev.replace_all(&text, |c: &regex::Captures| {
        format!("{}{}\"", &c[1], id(c[2].parse::<u128>().unwrap() * 10))
    });
    std::fs::write(&cfg, text.as_ref()).unwrap();
    let mut inserted = Vec::new();
    let mut n = 0;
    for after in [versions[0].0, versions.last().unwrap().0] {
        for (j, kind) in CLEAN.iter().enumerate() {
            n += 1;
            let v = id(after * 10 + j as u128 + 1);
            let (up, down) = statements(*kind, n);
            let sql = |s: &[String]| format!("{};\n", s.join(";\n"));
            let name = format!("{v}_mh_clean_{n}");
            if let Some((up_marker, down_marker)) = markers {
                std::fs::write(
                    dir.join(format!("{name}.sql")),
                    format!("{up_marker}\n{}\n{down_marker}\n{}", sql(&up), sql(&down)),
                )
                .unwrap();
            } else {
                std::fs::write(dir.join(format!("{name}.up.sql")), sql(&up)).unwrap();
                std::fs::write(dir.join(format!("{name}.down.sql")), sql(&down)).unwrap();
            }
            inserted.push(v);
        }
    }
    Some(Variant {
        _dir: tmp,
        config: cfg,
        inserted,
    })
}

/// The versions directory of an Alembic project: `dir`, else alembic.ini's
/// `version_locations`, else its `script_location`/versions. One outside the project is
/// copied in (and alembic.ini pointed at the copy).
fn alembic_versions(root: &Path, src: &Path, t: &toml::Table) -> Option<PathBuf> {
    if let Some(d) = migrations_key(t, "dir") {
        return Some(root.join(d));
    }
    let ini_path = root.join(migrations_key(t, "alembic_ini").unwrap_or("alembic.ini"));
    let ini = std::fs::read_to_string(&ini_path).ok()?;
    let get = |k: &str| {
        Regex::new(&format!(r"(?m)^{k}\s*=\s*(.+)$"))
            .unwrap()
            .captures(&ini)
            .map(|c| c[1].trim().to_string())
    };
    let here = |s: &str| s.replace("%(here)s", &root.display().to_string());
    let dir = match (get("version_locations"), get("script_location")) {
        (Some(v), _) => PathBuf::from(here(&v)),
        (None, Some(s)) => root.join(here(&s)).join("versions"),
        _ => return None,
    };
    let root = root.canonicalize().ok()?;
    let dir = match dir.canonicalize() {
        Ok(d) => d,
        // `%(here)s/../elsewhere` only exists beside the original project.
        Err(_) => PathBuf::from(dir.display().to_string().replacen(
            &root.display().to_string(),
            &src.display().to_string(),
            1,
        ))
        .canonicalize()
        .ok()?,
    };
    if dir.starts_with(&root) {
        return Some(dir);
    }
    let inside = root.join("mh_versions");
    copy_dir(&dir, &inside);
    let ini = Regex::new(r"(?m)^version_locations\s*=.*$")
        .unwrap()
        .replace(&ini, "version_locations = %(here)s/mh_versions");
    std::fs::write(&ini_path, ini.as_ref()).unwrap();
    Some(inside)
}

/// `revision` and `down_revision` ids of a revision file.
fn ids(text: &str) -> Option<(String, Vec<String>)> {
    // A black-formatted tuple spans lines: `down_revision = (\n "a",\n "b",\n)`.
    let field = |k: &str| {
        Regex::new(&format!(r"(?m)^{k}\s*(?::[^=\n]*)?=\s*(\([^)]*\)|.+)$"))
            .unwrap()
            .captures(text)
            .map(|c| c[1].to_string())
    };
    let quoted = Regex::new(r#"['"]([^'"]+)['"]"#).unwrap();
    let rev = quoted.captures(&field("revision")?)?[1].to_string();
    let down = field("down_revision")
        .map(|d| quoted.captures_iter(&d).map(|c| c[1].to_string()).collect())
        .unwrap_or_default();
    Some((rev, down))
}

fn alembic(config: &Path) -> Option<Variant> {
    let (tmp, cfg) = copy_project(config);
    let t = toml_of(&cfg);
    let dir = alembic_versions(tmp.path(), config.parent().unwrap(), &t)?;
    let mut revs: Vec<(PathBuf, String, Vec<String>)> = Vec::new();
    for e in std::fs::read_dir(&dir).ok()?.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "py") {
            if let Some((r, d)) = ids(&std::fs::read_to_string(&p).unwrap()) {
                revs.push((p, r, d));
            }
        }
    }
    let children = |id: &str| -> Vec<&(PathBuf, String, Vec<String>)> {
        revs.iter()
            .filter(|r| r.2.iter().any(|d| d == id))
            .collect()
    };
    let roots: Vec<&String> = revs
        .iter()
        .filter(|r| r.2.is_empty())
        .map(|r| &r.1)
        .collect();
    let heads: Vec<&String> = revs
        .iter()
        .filter(|r| children(&r.1).is_empty())
        .map(|r| &r.1)
        .collect();
    if roots.len() != 1 || heads.len() != 1 || revs.len() < 2 {
        return None;
    }
    // After the first revision (when it has one child that names only it) and at head.
    let mut spots: Vec<(String, Option<PathBuf>)> = Vec::new();
    let first = children(roots[0]);
    if first.len() == 1 && first[0].2.len() == 1 {
        spots.push((roots[0].clone(), Some(first[0].0.clone())));
    }
    spots.push((heads[0].clone(), None));
    let mut inserted = Vec::new();
    let mut n = 0;
    for (si, (after, child)) in spots.iter().enumerate() {
        let mut parent = after.clone();
        for kind in CLEAN {
            n += 1;
            let id = format!("mhclean{si}{n:02}");
            let (up, down) = statements(kind, n);
            let body = |s: &[String]| match kind {
                Clean::Noop => "    pass\n".to_string(),
                _ => s
                    .iter()
                    .map(|q| format!("    op.execute({q:?})\n"))
                    .collect(),
            };
            std::fs::write(
                dir.join(format!("{id}_clean.py")),
                format!(
                    "\"\"\"clean {kind:?}\"\"\"\nfrom alembic import op\n\nrevision = {id:?}\ndown_revision = {parent:?}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{}\n\ndef downgrade():\n{}",
                    body(&up),
                    body(&down)
                ),
            )
            .unwrap();
            inserted.push(id.clone());
            parent = id;
        }
        if let Some(child) = child {
            let text = std::fs::read_to_string(child).unwrap();
            let re = Regex::new(&format!(
                r#"(?m)^(down_revision\s*(?::[^=\n]*)?=\s*)['"]{after}['"]"#
            ))
            .unwrap();
            let text = re.replace(&text, format!("${{1}}{parent:?}"));
            std::fs::write(child, text.as_ref()).unwrap();
        }
    }
    Some(Variant {
        _dir: tmp,
        config: cfg,
        inserted,
    })
}

/// Every `harness.toml` under examples/ and tests/fixtures/.
fn projects() -> Vec<PathBuf> {
    fn walk(d: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        let c = d.join("harness.toml");
        if c.is_file() {
            out.push(c);
        }
        if depth == 0 {
            return;
        }
        let mut subs: Vec<PathBuf> = std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        subs.sort();
        for s in subs {
            walk(&s, depth - 1, out);
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("examples"), 1, &mut out);
    walk(&repo().join("tests/fixtures"), 3, &mut out);
    let only = std::env::var("MH_CLEAN_ONLY").unwrap_or_default();
    out.retain(|p| p.display().to_string().contains(&only));
    out
}

fn variant(config: &Path) -> Option<Variant> {
    let t = toml_of(config);
    match (
        migrations_key(&t, "tool"),
        migrations_key(&t, "format").unwrap_or("golang-migrate"),
    ) {
        (Some("alembic" | "flask"), _) => alembic(config),
        (Some("sqldir"), f) => sqldir(config, f),
        _ => None,
    }
}

/// `--db …` for the server under test.
fn server_args() -> Vec<String> {
    if let Ok(image) = std::env::var("MH_TEST_IMAGE") {
        return vec!["--db".into(), "container".into(), "--image".into(), image];
    }
    let mut a = vec!["--db".into(), "local".into()];
    if let Ok(bin) = std::env::var("MH_TEST_SERVER_BINARY") {
        a.extend(["--server-binary".into(), bin]);
    }
    a
}

fn run(v: &Variant, server: &[String], scenarios: &str, env: &[(&str, &str)]) -> Run {
    let cfg = v.config.display().to_string();
    let mut args: Vec<String> = vec![
        "--config".into(),
        cfg,
        "--scenario".into(),
        scenarios.into(),
    ];
    args.extend(server.iter().cloned());
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    harness(&args, env)
}

/// Sets `[scenarios]` keys in the variant's config; the server is the test's to choose (no
/// `[server] matrix`).
fn set_checks(v: &Variant, value: &str) {
    let mut t = toml_of(&v.config);
    if let Some(server) = t.get_mut("server").and_then(|s| s.as_table_mut()) {
        server.remove("matrix");
    }
    let s = t
        .entry("scenarios")
        .or_insert_with(|| toml::Value::Table(Default::default()))
        .as_table_mut()
        .unwrap();
    for k in ["idempotency", "hotfix", "resumable"] {
        s.insert(k.into(), toml::Value::String(value.into()));
    }
    std::fs::write(&v.config, toml::to_string(&t).unwrap()).unwrap();
}

/// Findings naming an inserted revision (`blocking_only`: only blocking ones).
fn against(r: &Run, inserted: &[String], blocking_only: bool) -> Vec<String> {
    let j: Value = r.json();
    j["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|f| {
            f["revision"]
                .as_str()
                .is_some_and(|rev| inserted.iter().any(|i| i == rev))
        })
        .filter(|f| !blocking_only || f["severity"] == "blocking")
        .map(|f| format!("{} {}: {}", f["severity"], f["kind"], f["summary"]))
        .collect()
}

/// Steps where an incremental snapshot differed from a full read (`MH_SNAPSHOT=verify`).
fn snapshot_mismatches(r: &Run) -> Vec<String> {
    let j: Value = r.json();
    let steps = j["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["steps"].as_array().cloned().unwrap_or_default());
    steps
        .filter_map(|st| {
            let m = st["message"].as_str()?;
            m.contains("incremental snapshot differs")
                .then(|| format!("{}: {m}", st["title"]))
        })
        .collect()
}

/// Checks one chain; `None` when it has nothing to vary, else the problems found.
fn check(config: &Path, server: &[String]) -> Option<Vec<String>> {
    let name = config
        .strip_prefix(repo())
        .unwrap()
        .parent()
        .unwrap()
        .display()
        .to_string();
    let Some(v) = variant(config) else {
        eprintln!("{name}: no linear chain to insert into; left out");
        return None;
    };
    let t0 = std::time::Instant::now();
    let mut problems = Vec::new();
    set_checks(&v, "off");
    // Every incremental snapshot is also checked against a full read on the way.
    let off = run(
        &v,
        server,
        "chain,round-trip,downgrade",
        &[("MH_SNAPSHOT", "verify")],
    );
    if !off.out.path().join("report.json").exists() {
        // A configuration-error fixture (exit 2) says so without a report.
        eprintln!("{name}: exit {} without a report; left out", off.code);
        return None;
    }
    for f in against(&off, &v.inserted, false) {
        problems.push(format!("{name} (checks off): {f}"));
    }
    for m in snapshot_mismatches(&off) {
        problems.push(format!("{name}: {m}"));
    }
    // Under the defaults only crash-resume differs (the other scenarios hold no check).
    set_checks(&v, "warn");
    let defaults = run(&v, server, "crash-resume", &[]);
    if defaults.out.path().join("report.json").exists() {
        for f in against(&defaults, &v.inserted, true) {
            problems.push(format!("{name} (defaults): {f}"));
        }
    }
    eprintln!(
        "{name}: {} clean revisions checked in {:.1} s",
        v.inserted.len(),
        t0.elapsed().as_secs_f64()
    );
    Some(problems)
}

/// Checks every project in `projects` on `server`, two chains at a time (each on its own
/// server; `MH_CLEAN_JOBS` changes it): how many could be varied, and the problems found.
fn check_all(projects: Vec<PathBuf>, server: &[String]) -> (usize, Vec<String>) {
    let started = std::time::Instant::now();
    let jobs: usize = std::env::var("MH_CLEAN_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(2)
        .max(1);
    let queue = std::sync::Mutex::new(projects);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let Some(config) = queue.lock().unwrap().pop() else {
                    break;
                };
                let r = check(&config, server);
                results.lock().unwrap().push(r);
            });
        }
    });
    let results = results.into_inner().unwrap();
    let checked = results.iter().flatten().count();
    let problems: Vec<String> = results.into_iter().flatten().flatten().collect();
    eprintln!(
        "{checked} chains in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (checked, problems)
}

#[test]
fn inserted_clean_revisions_produce_no_finding_in_any_chain() {
    let (checked, problems) = check_all(projects(), &server_args());
    if std::env::var("MH_CLEAN_ONLY").is_err() {
        assert!(checked > 10, "only {checked} chains could be varied");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The server users run most: the examples' chains on MySQL 9.7, incremental snapshots
/// verified there too (its information_schema compares table names by case).
#[test]
fn inserted_clean_revisions_produce_no_finding_in_the_examples_on_mysql() {
    let examples = repo().join("examples");
    let projects: Vec<PathBuf> = projects()
        .into_iter()
        .filter(|p| p.starts_with(&examples))
        .collect();
    let server: Vec<String> = ["--db", "container", "--image", &common::mysql_image()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (checked, problems) = check_all(projects, &server);
    if std::env::var("MH_CLEAN_ONLY").is_err() {
        assert!(checked >= 5, "only {checked} examples could be varied");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
