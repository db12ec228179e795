//! What the run knows about itself before any scenario: the harness, the server, the
//! migration tool and the revision chain. The run start and server events carry these; the
//! reports show them.

use serde::{Deserialize, Serialize, Serializer};

use super::result::Status;
use crate::chain::{Finding, Severity};
use crate::driver::ToolCommands;
use crate::provision::{Engine, ProviderKind};
use crate::said::Masked;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HarnessInfo {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerInfo {
    pub engine: Engine,
    pub version: String,
    pub provider: ProviderKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Throwaway-server settings applied (durability traded for speed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<String>,
    /// Binary log settings and the migrations' account: what decides 1418/1419.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::provision::Profile>,
    /// Why this server (the console says it; `--db auto` may have fallen back).
    #[serde(skip)]
    pub choice: crate::provision::Choice,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ToolInfo {
    pub kind: crate::config::ToolKind,
    pub commands: ToolCommands,
    /// `[name, version]` pairs: Python, alembic, Flask-Migrate, …
    pub versions: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevisionView {
    pub id: String,
    pub description: String,
    pub parents: Vec<String>,
    /// passed/failed from the chain walk; `skipped` when the walk did not reach it.
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainView {
    /// Base first, head last.
    pub revisions: Vec<RevisionView>,
    pub heads: Vec<String>,
    /// Each with its sentence as `message` (report.json's readers see the words); reading
    /// the file back takes the data and ignores the words, which are the data's again.
    #[serde(serialize_with = "with_messages")]
    pub findings: Vec<Finding>,
}

/// Writes each graph finding's data followed by its sentence, as `said::graph` words it.
fn with_messages<S: Serializer>(findings: &[Finding], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Worded<'a> {
        #[serde(flatten)]
        finding: &'a Finding,
        message: String,
    }
    s.collect_seq(findings.iter().map(|finding| Worded {
        finding,
        message: Masked::shown(finding),
    }))
}

impl ChainView {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}
