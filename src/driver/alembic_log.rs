//! What an Alembic-style log says: the revision it was running when it failed (Alembic,
//! Flask-Migrate and any command that prints Alembic's `Running upgrade a -> b` lines).

/// The revision a failed CLI run was applying: the last `Running upgrade A -> B` names B,
/// the last `Running downgrade B -> A` names B.
pub fn failed_revision(log: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"Running (upgrade|downgrade|stamp_revision) ([^\s,]*) -> ([^\s,]+)")
            .expect("regex")
    });
    re.captures_iter(log).last().map(|c| match &c[1] {
        "downgrade" => c[2].to_string(),
        _ => c[3].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_revision_is_the_last_running_line() {
        let log = "INFO  [alembic.runtime.migration] Running upgrade  -> 6793349c088c, Initial\nINFO  [alembic.runtime.migration] Running upgrade c682ef478e45 -> d1f2e3c4b5a6, Fix API\nTraceback";
        assert_eq!(failed_revision(log).as_deref(), Some("d1f2e3c4b5a6"));
        let down = "Running downgrade d1f2e3c4b5a6 -> c682ef478e45, Fix\nRunning downgrade 3e5106ee570c -> 366e5694a9ad, API";
        assert_eq!(failed_revision(down).as_deref(), Some("3e5106ee570c"));
    }
}
