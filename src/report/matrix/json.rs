//! The matrix's `report.json`: the matrix (each divergence with its one-line `summary`)
//! and every server's full report, as `runs[].report`.

use serde::Serialize;
use serde_json::{json, Value};

use super::model::{Divergence, Matrix, MatrixRow, MatrixSummary, ServerColumn};
use super::wording::divergence_text;
use crate::report::RunStatus;

/// `Matrix` as written: the typed divergence plus its sentence.
#[derive(Serialize)]
struct MatrixJson<'a> {
    status: RunStatus,
    exit_code: i32,
    servers: &'a [ServerColumn],
    scenarios: &'a [MatrixRow],
    divergences: Vec<DivergenceJson<'a>>,
}

#[derive(Serialize)]
struct DivergenceJson<'a> {
    #[serde(flatten)]
    divergence: &'a Divergence,
    summary: String,
}

impl<'a> From<&'a Matrix> for MatrixJson<'a> {
    fn from(m: &'a Matrix) -> Self {
        MatrixJson {
            status: m.status,
            exit_code: m.exit_code,
            servers: &m.servers,
            scenarios: &m.scenarios,
            divergences: m
                .divergences
                .iter()
                .map(|d| DivergenceJson {
                    divergence: d,
                    summary: divergence_text(d),
                })
                .collect(),
        }
    }
}

pub fn render_json(ms: &MatrixSummary) -> String {
    let v: Value = json!({
        "schema_version": 1,
        "status": ms.matrix.status,
        "matrix": MatrixJson::from(&ms.matrix),
        "runs": ms.runs.iter().map(|r| json!({
            "label": r.label,
            "report": r.report.as_ref().map_or(Value::Null, |s| json!(s)),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::matrix::fixture;

    #[test]
    fn divergences_carry_their_sentence_and_statuses_their_words() {
        let mut ms = fixture();
        ms.matrix.status = RunStatus::Skipped;
        let j: Value = serde_json::from_str(&render_json(&ms)).unwrap();
        assert_eq!(j["status"], "skipped");
        let m = &j["matrix"];
        assert_eq!(m["status"], "skipped");
        assert_eq!(m["servers"][1]["status"], "passed");
        let d = &m["divergences"][0];
        assert_eq!(
            d["summary"],
            "fails on MariaDB 10.5.23 only: 4161 at 000002 — Unknown data type: 'UUID'"
        );
        assert_eq!(d["outcomes"][0]["status"], "failed");
        assert_eq!(d["outcomes"][0]["failure"]["code"], 4161);
        assert!(d.get("statement").is_none(), "only for an online-DDL one");
        assert_eq!(m["scenarios"][0]["cells"][0]["status"], "failed");
    }

    #[test]
    fn the_matrix_reads_back_typed() {
        let ms = fixture();
        let j: Value = serde_json::from_str(&render_json(&ms)).unwrap();
        let back: Matrix = serde_json::from_value(j["matrix"].clone()).unwrap();
        assert_eq!(back.status, RunStatus::Failed);
        assert_eq!(
            back.divergences[0].outcomes[1].status,
            ms.matrix.divergences[0].outcomes[1].status
        );
    }
}
