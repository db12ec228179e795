//! The environment the run had: OS, harness and tool versions, the server, the timings.

use super::super::summary::RunSummary;
use super::text::secs;

pub fn build(summary: &RunSummary) -> Vec<(String, String)> {
    let mut environment = vec![
        ("OS".to_string(), summary.os.clone()),
        (
            "Harness".to_string(),
            format!("{} {}", summary.harness.name, summary.harness.version),
        ),
    ];
    environment.extend(
        summary
            .tool
            .versions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    environment.push((
        "Database".to_string(),
        format!(
            "{} {}",
            match summary.server.engine {
                crate::provision::Engine::Mariadb => "MariaDB",
                _ => "MySQL",
            },
            summary.server.version
        ),
    ));
    environment.push((
        "Server provider".to_string(),
        format!("{:?}", summary.server.provider).to_lowercase(),
    ));
    if let Some(i) = &summary.server.image {
        environment.push(("Image".to_string(), i.clone()));
    }
    if !summary.server.settings.is_empty() {
        environment.push((
            "Server settings".to_string(),
            format!(
                "throwaway: {}",
                summary
                    .server
                    .settings
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    environment.push((
        "Database names".to_string(),
        "a fresh `mh_<run>_<n>` database per scenario, dropped afterwards".into(),
    ));
    let t = &summary.timings;
    environment.push((
        "Test duration".to_string(),
        format!(
            "{} (server start {}, tool processes {}, harness {})",
            secs(t.total_ms),
            secs(t.server_start_ms),
            secs(t.tool_ms),
            secs(t.harness_ms)
        ),
    ));
    environment
}
