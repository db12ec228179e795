//! What the run knows about itself before any scenario: the harness, the server, the
//! migration tool and the revision chain. The run start and server events carry these; the
//! reports show them.

use serde::{Deserialize, Serialize};

use super::result::Status;
use crate::chain::{Finding, Severity};
use crate::driver::ToolCommands;
use crate::provision::{Engine, ProviderKind};

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
    pub findings: Vec<Finding>,
}

impl ChainView {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}
