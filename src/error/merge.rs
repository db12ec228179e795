//! Why the reports given to `merge` cannot be merged; each error names the file at fault.

use std::path::PathBuf;

/// Why the reports given to `merge` cannot be merged; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a run's report.json: {source}", path.display())]
    Malformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{} has schema_version {found}; this harness merges {expected}", path.display())]
    SchemaVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("{} is another run than {}: its {what} is {found}, not {expected}", path.display(), first.display())]
    OtherRun {
        path: PathBuf,
        first: PathBuf,
        what: &'static str,
        found: String,
        expected: String,
    },
    #[error("{} is partition {index}/{count}, but {} is a partition of {expected}", path.display(), first.display())]
    PartitionCount {
        path: PathBuf,
        first: PathBuf,
        index: usize,
        count: usize,
        expected: usize,
    },
    #[error("{} and {} are both partition {index}/{count} of {server}", first.display(), path.display())]
    DuplicatePartition {
        path: PathBuf,
        first: PathBuf,
        server: String,
        index: usize,
        count: usize,
    },
    #[error("partition {index}/{count} of {server} is missing (given: {})", given.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    MissingPartition {
        server: String,
        index: usize,
        count: usize,
        given: Vec<PathBuf>,
    },
    #[error("{} is a whole run on {server}, but {} is a partition of it", whole.display(), part.display())]
    WholeAndPartition {
        whole: PathBuf,
        part: PathBuf,
        server: String,
    },
}
