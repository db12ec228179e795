//! `clean`: removes what crashed runs left behind — containers carrying the harness label
//! whose harness process is gone, local-server temp dirs likewise, and in URL mode `mh_`
//! databases and `mh_app_` users older than a limit. Never touches anything without the
//! harness's marks.

use std::path::PathBuf;

use mysql_async::prelude::Queryable;

use crate::db::{ident, literal, ConnInfo, DbError, Pooled};
use crate::error::{exit, Result};
use crate::provision::{self, AdminCall, ProvisionError};

fn pid_alive(pid: i32) -> bool {
    pid > 0 && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

/// Age in minutes of a database named `mh_<YYMMDDHHMMSS><hex>_<n>`.
pub fn database_age_minutes(name: &str, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
    run_age_minutes(name.strip_prefix("mh_")?, now)
}

/// Age in minutes of a run's application user, `mh_app_<YYMMDDHHMMSS><hex>`.
pub fn user_age_minutes(name: &str, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
    run_age_minutes(name.strip_prefix("mh_app_")?, now)
}

/// Age in minutes of what a run id starting with its UTC start time names.
fn run_age_minutes(run: &str, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
    let stamp = run.get(..12)?;
    let t = chrono::NaiveDateTime::parse_from_str(stamp, "%y%m%d%H%M%S").ok()?;
    Some((now.naive_utc() - t).num_minutes())
}

/// `database_url`: in URL mode, the server whose stale `mh_` databases are dropped.
pub async fn run(database_url: Option<&str>, older_than_minutes: u64) -> Result<i32> {
    let mut removed = 0usize;
    match provision::labelled_containers_with_pids().await {
        Ok(list) => {
            for (id, pid) in list {
                if pid.is_some_and(pid_alive) {
                    println!(
                        "· container {} belongs to a running harness (pid {}), kept",
                        &id[..12.min(id.len())],
                        pid.unwrap_or(0)
                    );
                    continue;
                }
                provision::remove_container(&id).await?;
                println!("removed container {}", &id[..12.min(id.len())]);
                removed += 1;
            }
        }
        Err(e) => println!("· Docker not reachable ({e}); no containers checked"),
    }
    for dir in local_temp_dirs() {
        let pid_of = |f: &str| {
            std::fs::read_to_string(dir.join(f))
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
        };
        if pid_of("harness.pid").is_some_and(pid_alive) {
            continue;
        }
        if let Some(p) = pid_of("pid").filter(|p| pid_alive(*p)) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        if std::fs::remove_dir_all(&dir).is_ok() {
            println!("removed {}", dir.display());
            removed += 1;
        }
    }
    if let Some(url) = database_url {
        let (conn, _) = ConnInfo::parse_url(url)?;
        removed += drop_stale_databases(&conn, older_than_minutes).await?;
    }
    println!("{removed} leftover(s) removed");
    Ok(exit::PASSED)
}

fn local_temp_dirs() -> Vec<PathBuf> {
    provision::tuning::scratch_roots()
        .into_iter()
        .filter_map(|root| std::fs::read_dir(root).ok())
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(provision::TEMP_PREFIX)
        })
        .map(|e| e.path())
        .collect()
}

async fn drop_stale_databases(conn: &ConnInfo, older_than: u64) -> Result<usize> {
    let mut c = conn
        .connect(None)
        .await
        .map_err(ProvisionError::admin(AdminCall::Connect {
            server: format!("{conn:?}"),
        }))?;
    let sql = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'mh\\_%'";
    let names: Vec<String> = c.query(sql).await.map_err(DbError::at(sql))?;
    let now = chrono::Utc::now();
    let mut n = 0;
    for name in names {
        match database_age_minutes(&name, now) {
            Some(age) if age >= older_than as i64 => {
                let sql = format!("DROP DATABASE {}", ident(&name));
                c.query_drop(&sql)
                    .await
                    .map_err(DbError::at(sql.as_str()))?;
                println!("dropped database {name} ({age} min old)");
                n += 1;
            }
            _ => {}
        }
    }
    n += drop_stale_users(&mut c, older_than, now).await;
    let _ = c.disconnect().await;
    // Each pooled connection says goodbye rather than being cut at exit.
    conn.pools.close_all().await;
    Ok(n)
}

/// Drops the application users of runs older than `older_than` minutes (a run killed
/// before its teardown leaves its user). An account that may not read `mysql.user` is told
/// so and nothing else happens.
async fn drop_stale_users(
    c: &mut Pooled,
    older_than: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> usize {
    let sql = "SELECT User, Host FROM mysql.user WHERE User LIKE 'mh\\_app\\_%'";
    let users: Vec<(String, String)> = match c.query(sql).await {
        Ok(u) => u,
        Err(e) => {
            println!("· users not checked ({e})");
            return 0;
        }
    };
    let mut n = 0;
    for (user, host) in users {
        match user_age_minutes(&user, now) {
            Some(age) if age >= older_than as i64 => {
                let sql = format!("DROP USER IF EXISTS {}@{}", literal(&user), literal(&host));
                match c.query_drop(&sql).await {
                    Ok(()) => {
                        println!("dropped user {user}@{host} ({age} min old)");
                        n += 1;
                    }
                    Err(e) => println!("· user {user}@{host} kept: {e}"),
                }
            }
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_age_comes_from_the_name() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(database_age_minutes("mh_261124045000a3f9_3", now), Some(70));
        assert_eq!(database_age_minutes("mh_notatime", now), None);
        assert_eq!(database_age_minutes("production", now), None);
        assert_eq!(user_age_minutes("mh_app_261124045000a3f9", now), Some(70));
        assert_eq!(user_age_minutes("mh_261124045000a3f9_3", now), None);
        assert_eq!(user_age_minutes("app", now), None);
    }
}
