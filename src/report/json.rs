//! JSON report: `RunSummary` as serialised (the contract of DESIGN.md §1, see docs/report-json.md).

use super::summary::RunSummary;

pub fn render_json(s: &RunSummary) -> String {
    let mut out = serde_json::to_string_pretty(s).expect("summary serialises");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real run's report.json (the committed sample) read back as a typed summary and
    /// written again is the same file, byte for byte: nothing is lost on the way back.
    #[test]
    fn the_sample_report_json_reads_back_as_the_summary_it_was() {
        let text = include_str!("../../reports/sample/report.json");
        let s: RunSummary = serde_json::from_str(text).expect("the sample reads back");
        let again = render_json(&s);
        let first_difference = again
            .lines()
            .zip(text.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b);
        assert_eq!(
            first_difference, None,
            "line (0-based) written back differently"
        );
        assert_eq!(again.len(), text.len());
    }
}
