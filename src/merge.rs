//! `migration-harness merge DIR...`: reads each DIR/report.json as a typed `RunSummary`,
//! checks they belong together, and renders one report. Partitions of one server
//! (`--partition K/N`) fold into the summary an unpartitioned run would have written
//! (`report::merge`); several servers (matrix children, or each server's folded partitions)
//! fold into a server matrix. The exit code is the merged verdict's.

pub use crate::error::MergeError;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::matrix::{self, MatrixSummary, Peak, ServerRun};
use crate::report::{self, Format, RenderContext, RunSummary, SCHEMA_VERSION};

/// What `merge` was asked for.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    pub dirs: Vec<PathBuf>,
    pub formats: Vec<Format>,
    pub output_dir: Option<PathBuf>,
    pub report_url: Option<String>,
}

/// One report read from its directory.
struct Part {
    path: PathBuf,
    summary: RunSummary,
}

pub fn run(req: &MergeRequest) -> Result<i32> {
    let parts = req
        .dirs
        .iter()
        .map(|d| read(&d.join("report.json")))
        .collect::<Result<Vec<Part>, MergeError>>()?;
    same_run(&parts)?;
    let servers = by_server(parts)
        .into_iter()
        .map(|(server, parts)| Ok((server, fold(&parts)?)))
        .collect::<Result<Vec<_>, MergeError>>()?;
    let dir = req.output_dir.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!(
            "{}-merged",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ))
    });
    let ctx = RenderContext {
        root: std::env::current_dir().unwrap_or_default(),
        report_url: req.report_url.clone(),
    };
    match servers.as_slice() {
        [(_, summary)] => {
            let sinks: Vec<Box<dyn report::Sink>> = vec![
                Box::new(report::ReportFiles::new(
                    req.formats.clone(),
                    Some(dir),
                    ctx,
                )),
                Box::new(report::Github::new(
                    std::env::current_dir().unwrap_or_default(),
                )),
                Box::new(report::Console::new()),
            ];
            report::render_sinks(sinks, summary)?;
            Ok(summary.status.exit_code())
        }
        _ => matrix_of(servers, &dir, &req.formats),
    }
}

/// Several servers: each one's merged report under `servers/<label>/`, the matrix on top.
fn matrix_of(servers: Vec<(String, RunSummary)>, dir: &Path, formats: &[Format]) -> Result<i32> {
    let mut runs = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    let project = servers[0].1.project.clone();
    for (server, summary) in servers {
        // A directory name as a matrix gives its children: the image's, else the server's.
        let mut label = match &summary.server.image {
            Some(i) => crate::settings::ServerSpec::Image(i.clone()).label(),
            None => matrix::server_name(&summary.server.version)
                .to_lowercase()
                .replace(' ', "-"),
        };
        if labels.contains(&label) {
            label = format!("{label}-{}", labels.len() + 1);
        }
        labels.push(label.clone());
        let own = dir.join("servers").join(&label);
        let rendered = report::render_all(&summary, formats);
        report::write_reports(&rendered, &own)?;
        runs.push(ServerRun {
            target: summary
                .server
                .image
                .clone()
                .unwrap_or_else(|| server.clone()),
            label,
            exit_code: summary.status.exit_code(),
            report: Some(summary),
            stderr_tail: String::new(),
            peak: Peak::default(),
        });
    }
    let ms = MatrixSummary {
        project,
        matrix: matrix::fold(&runs),
        runs,
    };
    matrix::render(ms, dir, formats)
}

fn read(path: &Path) -> Result<Part, MergeError> {
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // The version first: another schema is said as such, not as a missing field.
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|source| MergeError::Malformed {
            path: path.to_path_buf(),
            source,
        })?
        .get("schema_version")
        .and_then(|v| v.as_u64());
    if let Some(found) = version.filter(|v| *v != u64::from(SCHEMA_VERSION)) {
        return Err(MergeError::SchemaVersion {
            path: path.to_path_buf(),
            found: found as u32,
            expected: SCHEMA_VERSION,
        });
    }
    let summary = serde_json::from_str(&text).map_err(|source| MergeError::Malformed {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Part {
        path: path.to_path_buf(),
        summary,
    })
}

/// Every report must be of one project's one chain, head and baseline: partitions of
/// different runs (or matrix children of different changes) do not add up.
fn same_run(parts: &[Part]) -> Result<(), MergeError> {
    let Some(first) = parts.first() else {
        return Ok(());
    };
    let facts = |s: &RunSummary| -> [(&'static str, String); 4] {
        [
            ("project", s.project.clone()),
            ("head", s.head.clone().unwrap_or_else(|| "none".into())),
            (
                "baseline",
                s.baseline.clone().unwrap_or_else(|| "none".into()),
            ),
            (
                "chain",
                format!(
                    "{} revisions ending {}",
                    s.chain.revisions.len(),
                    s.chain
                        .revisions
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ),
        ]
    };
    let expected = facts(&first.summary);
    for p in &parts[1..] {
        for ((what, found), (_, want)) in facts(&p.summary).into_iter().zip(&expected) {
            if found != *want {
                return Err(MergeError::OtherRun {
                    path: p.path.clone(),
                    first: first.path.clone(),
                    what,
                    found: short(&found),
                    expected: short(want),
                });
            }
        }
    }
    Ok(())
}

/// A chain's revision list can be long: the error shows its end.
fn short(text: &str) -> String {
    let n = text.chars().count();
    if n <= 120 {
        text.to_string()
    } else {
        format!("…{}", text.chars().skip(n - 100).collect::<String>())
    }
}

/// Groups by server (`MariaDB 10.11.14` and its image), in the order first given.
fn by_server(parts: Vec<Part>) -> Vec<(String, Vec<Part>)> {
    let mut groups: Vec<(String, Vec<Part>)> = Vec::new();
    for p in parts {
        let s = &p.summary.server;
        let name = match &s.image {
            Some(i) => format!("{} ({i})", matrix::server_name(&s.version)),
            None => matrix::server_name(&s.version),
        };
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, g)) => g.push(p),
            None => groups.push((name, vec![p])),
        }
    }
    groups
}

/// One server's reports into one summary: a whole run as it is, partitions folded once
/// every one of them is there.
fn fold(parts: &[Part]) -> Result<RunSummary, MergeError> {
    let server = || matrix::server_name(&parts[0].summary.server.version);
    let whole = parts.iter().find(|p| p.summary.partition.is_none());
    let partial = parts.iter().find(|p| p.summary.partition.is_some());
    match (whole, partial) {
        (Some(w), Some(p)) => {
            return Err(MergeError::WholeAndPartition {
                whole: w.path.clone(),
                part: p.path.clone(),
                server: server(),
            })
        }
        (Some(w), None) if parts.len() == 1 => return Ok(w.summary.clone()),
        (Some(w), None) => {
            return Err(MergeError::DuplicatePartition {
                first: w.path.clone(),
                path: parts[1].path.clone(),
                server: server(),
                index: 1,
                count: 1,
            })
        }
        _ => {}
    }
    let count = parts[0].summary.partition.as_ref().map_or(1, |q| q.count);
    let mut slots: Vec<Option<&Part>> = vec![None; count];
    for p in parts {
        let q = p.summary.partition.as_ref().expect("partial");
        if q.count != count {
            return Err(MergeError::PartitionCount {
                path: p.path.clone(),
                first: parts[0].path.clone(),
                index: q.index,
                count: q.count,
                expected: count,
            });
        }
        let slot = &mut slots[q.index.clamp(1, count) - 1];
        if let Some(first) = slot {
            return Err(MergeError::DuplicatePartition {
                first: first.path.clone(),
                path: p.path.clone(),
                server: server(),
                index: q.index,
                count,
            });
        }
        *slot = Some(p);
    }
    if let Some(missing) = slots.iter().position(Option::is_none) {
        return Err(MergeError::MissingPartition {
            server: server(),
            index: missing + 1,
            count,
            given: parts.iter().map(|p| p.path.clone()).collect(),
        });
    }
    Ok(report::merge::fold_partitions(
        parts.iter().map(|p| p.summary.clone()).collect(),
    ))
}
