//! Reads SQL migration directories: golang-migrate / sqlx (`<version>_<name>.up.sql` and
//! `.down.sql`) and dbmate (`<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Chain, DowngradeKind, Revision};
use crate::config::SqlFormat;

/// One migration of a SQL directory, with its SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlMigration {
    pub version: String,
    pub name: String,
    pub up: Option<String>,
    pub down: Option<String>,
    pub up_file: Option<PathBuf>,
    pub down_file: Option<PathBuf>,
}

fn split_version(stem: &str) -> Option<(String, String)> {
    let (v, name) = stem.split_once('_').unwrap_or((stem, ""));
    (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
        .then(|| (v.to_string(), name.replace('_', " ")))
}

/// Splits a dbmate file into its up and down sections.
pub fn dbmate_sections(src: &str) -> (Option<String>, Option<String>) {
    let mut up: Option<String> = None;
    let mut down: Option<String> = None;
    let mut current: Option<&mut Option<String>> = None;
    for line in src.lines() {
        let t = line.trim();
        if t.starts_with("-- migrate:up") {
            current = Some(&mut up);
            if let Some(c) = current.as_mut() {
                **c = Some(String::new());
            }
            continue;
        }
        if t.starts_with("-- migrate:down") {
            current = Some(&mut down);
            if let Some(c) = current.as_mut() {
                **c = Some(String::new());
            }
            continue;
        }
        if let Some(Some(buf)) = current.as_mut().map(|c| c.as_mut()) {
            buf.push_str(line);
            buf.push('\n');
        }
    }
    (up, down)
}

fn is_blank_sql(sql: &str) -> bool {
    sql.lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with("--") || l.starts_with('#'))
}

/// Reads the directory in version order. Returns the chain (linear) and the migrations.
pub fn parse_sql_dir(dir: &Path, format: SqlFormat) -> std::io::Result<(Chain, Vec<SqlMigration>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut by_version: BTreeMap<u128, SqlMigration> = BTreeMap::new();
    let mut orphans = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = || std::fs::read(&f).map(|b| String::from_utf8_lossy(&b).into_owned());
        let (stem, kind) = if let Some(s) = name.strip_suffix(".up.sql") {
            (s, "up")
        } else if let Some(s) = name.strip_suffix(".down.sql") {
            (s, "down")
        } else if let Some(s) = name.strip_suffix(".sql") {
            (s, "single")
        } else {
            orphans.push(f.clone());
            continue;
        };
        let Some((version, title)) = split_version(stem) else {
            orphans.push(f.clone());
            continue;
        };
        let key: u128 = version.parse().unwrap_or(0);
        let m = by_version.entry(key).or_insert_with(|| SqlMigration {
            version: version.clone(),
            name: title.clone(),
            up: None,
            down: None,
            up_file: None,
            down_file: None,
        });
        match (kind, format) {
            ("up", SqlFormat::GolangMigrate | SqlFormat::Sqlx) => {
                m.up = Some(text()?);
                m.up_file = Some(f.clone());
            }
            ("down", SqlFormat::GolangMigrate | SqlFormat::Sqlx) => {
                m.down = Some(text()?);
                m.down_file = Some(f.clone());
            }
            ("single", SqlFormat::Dbmate) => {
                let (up, down) = dbmate_sections(&text()?);
                m.up = up;
                m.down = down;
                m.up_file = Some(f.clone());
                m.down_file = Some(f.clone());
            }
            // sqlx also allows irreversible `<version>_<name>.sql`.
            ("single", SqlFormat::Sqlx) => {
                m.up = Some(text()?);
                m.up_file = Some(f.clone());
            }
            _ => orphans.push(f.clone()),
        }
    }
    let mut chain = Chain {
        orphans,
        ..Default::default()
    };
    let mut migrations = Vec::new();
    let mut prev: Option<String> = None;
    for (_, m) in by_version {
        let downgrade = match &m.down {
            None => DowngradeKind::Missing,
            Some(d) if is_blank_sql(d) => DowngradeKind::Empty,
            Some(_) => DowngradeKind::Present,
        };
        let mut r = Revision::new(&m.version, &[], &m.name);
        r.parents = prev.iter().cloned().collect();
        r.file = m.up_file.clone().or(m.down_file.clone());
        r.line = Some(1);
        r.downgrade = downgrade;
        if m.up.is_none() {
            // A down file without its up: the revision cannot be applied at all.
            chain.orphans.extend(m.down_file.clone());
            continue;
        }
        prev = Some(m.version.clone());
        chain.revisions.push(r);
        migrations.push(m);
    }
    Ok((chain, migrations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbmate_sections_split() {
        let (up, down) = dbmate_sections(
            "-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        assert_eq!(up.unwrap().trim(), "CREATE TABLE t (id int);");
        assert_eq!(down.unwrap().trim(), "DROP TABLE t;");
    }

    #[test]
    fn golang_migrate_pairs_and_orphans() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("1_init.up.sql"), "CREATE TABLE a (id int);").unwrap();
        std::fs::write(d.path().join("1_init.down.sql"), "DROP TABLE a;").unwrap();
        std::fs::write(d.path().join("2_more.up.sql"), "CREATE TABLE b (id int);").unwrap();
        std::fs::write(d.path().join("3_gone.down.sql"), "DROP TABLE c;").unwrap();
        std::fs::write(d.path().join("notes.txt"), "x").unwrap();
        let (chain, migs) = parse_sql_dir(d.path(), SqlFormat::GolangMigrate).unwrap();
        assert_eq!(migs.len(), 2);
        assert_eq!(chain.revisions[1].parents, ["1"]);
        assert_eq!(chain.revisions[1].downgrade, DowngradeKind::Missing);
        let report = chain.verify();
        assert!(report
            .findings
            .iter()
            .any(|f| f.kind == crate::chain::FindingKind::MissingDown));
        assert_eq!(chain.orphans.len(), 2, "{:?}", chain.orphans);
    }
}
