//! Parent states for independent trips: a fresh database brought to a revision, either by
//! cloning a database already there (`clone_database`) or by upgrading from clean.

use mysql_async::prelude::Queryable;

use super::super::model::ParentState;
use super::super::runner::RunContext;
use crate::db::ident;
use crate::driver::{DbTarget, Target};

/// Copies the tables and rows of `from` into a new database. Views, triggers, routines,
/// events, sequences and system-versioned tables would need rewriting: those states are
/// rebuilt instead (`Err` says why).
pub async fn clone_database(ctx: &RunContext, from: &DbTarget) -> Result<String, String> {
    let mut c = from
        .conn
        .connect(Some(&from.database))
        .await
        .map_err(|e| e.to_string())?;
    let others: u64 = c
        .exec_first(
            "SELECT (SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?) \
             + (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?) \
             + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) \
             + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?) \
             + (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE NOT IN ('BASE TABLE', 'VIEW'))",
            (&from.database, &from.database, &from.database, &from.database, &from.database),
        )
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or(0);
    if others > 0 {
        let _ = c.disconnect().await;
        return Err("the database holds views, triggers, routines, events or sequences".into());
    }
    let tables: Vec<String> = c
        .exec(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            (&from.database,),
        )
        .await
        .map_err(|e| e.to_string())?;
    let name = ctx
        .server
        .create_database()
        .await
        .map_err(|e| e.to_string())?;
    let work = async {
        let mut n = from.conn.connect(Some(&name)).await?;
        n.query_drop("SET SESSION FOREIGN_KEY_CHECKS = 0").await?;
        for t in &tables {
            let row: Option<(String, String)> = c
                .query_first(format!(
                    "SHOW CREATE TABLE {}.{}",
                    ident(&from.database),
                    ident(t)
                ))
                .await?;
            let Some((_, create)) = row else { continue };
            n.query_drop(create).await?;
            let cols: Vec<String> = c
                .exec(
                    "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? \
                     AND EXTRA NOT LIKE '%GENERATED%' AND EXTRA NOT LIKE '%PERSISTENT%' AND EXTRA NOT LIKE '%VIRTUAL%' ORDER BY ORDINAL_POSITION",
                    (&from.database, t),
                )
                .await?;
            let list = cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
            n.query_drop(format!(
                "INSERT INTO {}.{} ({list}) SELECT {list} FROM {}.{}",
                ident(&name),
                ident(t),
                ident(&from.database),
                ident(t)
            ))
            .await?;
        }
        let _ = n.disconnect().await;
        Ok::<_, mysql_async::Error>(())
    };
    let r = work.await;
    let _ = c.disconnect().await;
    match r {
        Ok(()) => Ok(name),
        Err(e) => {
            let _ = ctx.server.drop_database(&name).await;
            Err(format!("cloning failed: {e}"))
        }
    }
}

/// A new database at `parent` (None = empty): cloned from `spine` when asked and possible,
/// else upgraded from clean. Returns the name and how it was made.
pub async fn parent_state(
    ctx: &RunContext,
    how: ParentState,
    spine: Option<&DbTarget>,
    parent: Option<&str>,
) -> Result<(String, &'static str), String> {
    if let (ParentState::Clone, Some(s)) = (how, spine) {
        if let Ok(name) = clone_database(ctx, s).await {
            return Ok((name, "cloned"));
        }
    }
    let name = ctx
        .server
        .create_database()
        .await
        .map_err(|e| e.to_string())?;
    if let Some(p) = parent {
        let e = ctx
            .driver
            .upgrade(&ctx.db(&name), &Target::Revision(p.to_string()))
            .await;
        if !e.ok() {
            let _ = ctx.server.drop_database(&name).await;
            return Err(format!(
                "could not rebuild the state at {p}: {}",
                e.error.as_ref().map(|x| x.to_string()).unwrap_or_else(|| e
                    .log()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .to_string())
            ));
        }
    }
    Ok((name, "rebuilt from clean"))
}
