//! Parent states for independent trips: a fresh database brought to a revision, either by
//! cloning a database already there (`clone_database`) or by upgrading from clean.

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::super::model::ParentState;
use crate::db::ident;
use crate::db::DbError;
use crate::driver::{DbTarget, Target};
use crate::said::Made;
use crate::scenario::steps::error::StepError;

/// Copies the tables and rows of `from` into a new database. Views, triggers, routines,
/// events, sequences and system-versioned tables would need rewriting: those states are
/// rebuilt instead (`Err` says why).
pub async fn clone_database(ctx: &RunContext, from: &DbTarget) -> Result<String, StepError> {
    copy_database(ctx, from, None).await
}

/// Copies the tables and rows of `from` into `to`, an empty database this run created.
pub async fn copy_into(ctx: &RunContext, from: &DbTarget, to: &str) -> Result<(), StepError> {
    copy_database(ctx, from, Some(to)).await.map(|_| ())
}

async fn copy_database(
    ctx: &RunContext,
    from: &DbTarget,
    into: Option<&str>,
) -> Result<String, StepError> {
    let mut c = from.connect().await?;
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
        .map_err(DbError::from)?
        .unwrap_or(0);
    if others > 0 {
        let _ = c.disconnect().await;
        return Err(StepError::NotCopyable);
    }
    let tables: Vec<String> = c
        .exec(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            (&from.database,),
        )
        .await
        .map_err(DbError::from)?;
    let name = match into {
        Some(n) => n.to_string(),
        None => ctx.server.create_database().await?,
    };
    let work = async {
        let mut n = ctx.db(&name).connect().await?;
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
            n.query_drop(without_implicit_fk_indexes(&create)).await?;
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
        Ok::<_, DbError>(())
    };
    let r = work.await;
    let _ = c.disconnect().await;
    match (r, into) {
        (Ok(()), _) => Ok(name),
        (Err(source), None) => {
            let _ = ctx.server.drop_database(&name).await;
            Err(StepError::Copy {
                into_new: true,
                source,
            })
        }
        (Err(source), Some(_)) => Err(StepError::Copy {
            into_new: false,
            source,
        }),
    }
}

/// InnoDB creates an index for a foreign key that has none, names it after the constraint,
/// and drops it by itself once another index can serve the key. `SHOW CREATE TABLE` prints
/// it as an ordinary `KEY`, which re-created would never be dropped by itself, so a clone
/// would answer a later `DROP INDEX` differently (1553) than the original. Leaving such a
/// key out lets the `CONSTRAINT … FOREIGN KEY` line create it implicitly again.
pub fn without_implicit_fk_indexes(create: &str) -> String {
    let lines: Vec<&str> = create.lines().collect();
    if lines.len() < 3 {
        return create.to_string();
    }
    let body: Vec<&str> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.trim_end().trim_end_matches(','))
        .collect();
    let constraint_cols = |name: &str| -> Option<String> {
        let head = format!("CONSTRAINT `{name}` FOREIGN KEY (");
        body.iter().find_map(|l| {
            let rest = l.trim().strip_prefix(&head)?;
            Some(rest.split(')').next()?.to_string())
        })
    };
    let kept: Vec<&str> = body
        .iter()
        .copied()
        .filter(|l| {
            let Some(rest) = l.trim().strip_prefix("KEY `") else {
                return true;
            };
            let Some((name, cols)) = rest.split_once("` (") else {
                return true;
            };
            let cols = cols.trim_end_matches(')');
            // Only the key the server made: same name and the constraint's leading columns.
            !constraint_cols(name).is_some_and(|fk| fk.starts_with(cols) || cols.starts_with(&fk))
        })
        .collect();
    format!(
        "{}\n{}\n{}",
        lines[0],
        kept.join(",\n"),
        lines[lines.len() - 1]
    )
}

/// A new database at `parent` (None = empty): cloned from `spine` when asked and possible,
/// else upgraded from clean. Returns the name and how it was made.
pub async fn parent_state(
    ctx: &RunContext,
    how: ParentState,
    spine: Option<&DbTarget>,
    parent: Option<&str>,
) -> Result<(String, Made), StepError> {
    if let (ParentState::Clone, Some(s)) = (how, spine) {
        if let Ok(name) = clone_database(ctx, s).await {
            return Ok((name, Made::Cloned));
        }
    }
    let name = ctx.server.create_database().await?;
    if let Some(p) = parent {
        let e = ctx
            .driver
            .upgrade(&ctx.db(&name), &Target::Revision(p.to_string()))
            .await;
        if !e.ok() {
            let _ = ctx.server.drop_database(&name).await;
            return Err(StepError::Rebuild {
                revision: p.to_string(),
                from_clean: false,
                cause: e
                    .error
                    .as_ref()
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| e.log().lines().last().unwrap_or("").to_string()),
            });
        }
    }
    Ok((name, Made::RebuiltFromClean))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_fk_index_is_left_to_the_constraint() {
        let create = "CREATE TABLE `child` (\n  `id` int(11) NOT NULL,\n  `parent_id` int(11) NOT NULL,\n  PRIMARY KEY (`id`),\n  KEY `ix_code` (`code`),\n  KEY `fk_child_parent` (`parent_id`),\n  CONSTRAINT `fk_child_parent` FOREIGN KEY (`parent_id`) REFERENCES `parent` (`id`)\n) ENGINE=InnoDB";
        let out = without_implicit_fk_indexes(create);
        assert!(!out.contains("KEY `fk_child_parent`"), "{out}");
        assert!(
            out.contains("KEY `ix_code` (`code`),\n  CONSTRAINT"),
            "{out}"
        );
        assert!(out.ends_with(") ENGINE=InnoDB"));
        let plain =
            "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB";
        assert_eq!(without_implicit_fk_indexes(plain), plain);
    }
}
