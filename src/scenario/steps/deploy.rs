//! The deploy rehearsal: the production command as a real process with the project's own
//! app. A failure before any migration ran (the app queries its models at import while the
//! schema is behind them) is named as what it is: a deploy that cannot start.

use super::super::result::Status;
use super::super::runner::RunContext;
use super::{after, from_execution, ScenarioState, StepOutcome};
use crate::findings::{Defect, Kind};

/// `app.py:54 (create_app)`: the innermost traceback frame in the project's own code (not
/// in a venv or the standard library), where the app ran the failing query.
pub fn project_frame(traceback: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r#"File "([^"]+)", line (\d+), in (\S+)"#).expect("regex")
    });
    re.captures_iter(traceback)
        .filter(|c| {
            let f = &c[1];
            !(f.contains("/site-packages/")
                || f.contains("/dist-packages/")
                || f.contains("/lib/python")
                || f.starts_with('<'))
        })
        .last()
        .map(|c| {
            let file = std::path::Path::new(&c[1])
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| c[1].to_string());
            format!("{file}:{} ({})", &c[2], &c[3])
        })
}

/// `user.api_token` out of "Unknown column 'user.api_token' in 'SELECT'".
fn unknown_column(message: &str) -> Option<&str> {
    message
        .strip_prefix("Unknown column '")
        .and_then(|r| r.split('\'').next())
}

pub async fn deploy(ctx: &RunContext, state: &mut ScenarioState) -> StepOutcome {
    let db = state.db.clone();
    let Some(e) = ctx.driver.deploy(&db).await else {
        return StepOutcome {
            results: vec![],
            skip_scenario: Some(
                "the harness runs these migrations natively: the upgrade scenario is the deploy"
                    .into(),
            ),
        };
    };
    after(ctx, &db, &e).await;
    let title = format!("deploy: `{}` as production runs it", e.command);
    let mut r = from_execution("deploy", title, &e, ctx.plan.head.clone());
    if r.status != Status::Failed {
        if r.status == Status::Passed {
            r.details
                .push("ran as a real process with the project's own app".into());
        }
        return r.into();
    }
    let log = e.log();
    let migrated = log.contains("Running upgrade");
    let version = ctx.driver.version(&db).await.ok();
    let still_at_baseline = version
        .as_ref()
        .map(|v| v.current(ctx.plan.order()) == ctx.plan.baseline)
        .unwrap_or(false);
    if !migrated && still_at_baseline {
        let place = project_frame(&log).unwrap_or_else(|| "the app".into());
        let (what, code) = match &e.error {
            Some(err) => (
                match unknown_column(&err.message) {
                    Some(col) => format!("queries `{col}` at import"),
                    None => format!("fails at import ({err})"),
                },
                format!(" ({} {})", err.code, err.message),
            ),
            None => ("fails at import".to_string(), String::new()),
        };
        r.revision = ctx.plan.baseline.clone();
        r.details.push(format!(
            "no migration ran: the version table is still at the baseline {}",
            ctx.plan.baseline.as_deref().unwrap_or("base")
        ));
        let blocked = format!(
            "deploy blocked: {place} {what}; `{}` cannot start while the schema is behind the model{code}",
            e.command
        );
        // Not a migration's fault: the app's, at the baseline production runs.
        let d = Defect::new(Kind::DeployBlocked, None, blocked.clone())
            .with_error(e.error.clone(), None);
        r = r
            .fail(format!(
                "{blocked}. No migration ran. Production needs a manual hot-fix first, \
                 or an app that does not query at import"
            ))
            .defect(d);
    }
    r.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_frame_skips_library_frames() {
        let tb = r#"Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/flask/cli.py", line 245, in locate_app
    app = call_factory(script_info, app, args, kwargs)
  File "/work/proj/app.py", line 54, in create_app
    User.query.filter_by(username="service").first()
  File "/venv/lib/python3.11/site-packages/sqlalchemy/orm/query.py", line 2759, in first
pymysql.err.OperationalError: (1054, "Unknown column 'user.api_token' in 'SELECT'")"#;
        assert_eq!(project_frame(tb).as_deref(), Some("app.py:54 (create_app)"));
        assert_eq!(
            unknown_column("Unknown column 'user.api_token' in 'SELECT'"),
            Some("user.api_token")
        );
    }
}
