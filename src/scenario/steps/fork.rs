//! Parent states for independent trips: a fresh database brought to a revision, either by
//! cloning a database already there (`clone_database`) or by upgrading from clean.

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::super::model::ParentState;
use crate::db::{ident, literal, DbError, Pooled};
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

/// What a copy of a database needs to know of it, read in two round trips.
struct Source {
    /// Views, triggers, routines, events and tables that are not base tables.
    others: u64,
    /// Each base table's `SHOW CREATE TABLE` and the columns a copy writes: all but the
    /// generated ones (a generation expression). MySQL's EXTRA also says DEFAULT_GENERATED
    /// of a plain column with an expression default (`DEFAULT CURRENT_TIMESTAMP`), whose
    /// values a copy must keep.
    tables: Vec<(String, String, Vec<String>)>,
}

/// Reads `db`'s tables, their columns and definitions: one multi-statement query for the
/// lists and one for the definitions, where a query per table and list would cost twenty
/// round trips on a three-table schema (every scenario starts from a copy).
async fn read_source(c: &mut Pooled, db: &str) -> Result<Source, DbError> {
    let s = literal(db);
    let mut lists = c
        .query_iter(format!(
            "SELECT (SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = {s}) \
             + (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {s}) \
             + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {s}) \
             + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {s}) \
             + (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {s} AND TABLE_TYPE NOT IN ('BASE TABLE', 'VIEW'));\n\
             SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {s} AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME;\n\
             SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {s} \
             AND COALESCE(GENERATION_EXPRESSION, '') = '' \
             ORDER BY TABLE_NAME, ORDINAL_POSITION"
        ))
        .await?;
    let others: Vec<u64> = lists.collect().await?;
    let names: Vec<String> = lists.collect().await?;
    let columns: Vec<(String, String)> = lists.collect().await?;
    drop(lists);
    let mut source = Source {
        others: others.first().copied().unwrap_or(0),
        tables: Vec::new(),
    };
    if source.others > 0 || names.is_empty() {
        return Ok(source);
    }
    let shows: Vec<String> = names
        .iter()
        .map(|t| format!("SHOW CREATE TABLE {}.{}", ident(db), ident(t)))
        .collect();
    let mut creates = c.query_iter(shows.join(";\n")).await?;
    for t in names {
        let row: Vec<(String, String)> = creates.collect().await?;
        let Some((_, create)) = row.into_iter().next() else {
            continue;
        };
        let cols = columns
            .iter()
            .filter(|(table, _)| *table == t)
            .map(|(_, col)| col.clone())
            .collect();
        source.tables.push((t, create, cols));
    }
    drop(creates);
    Ok(source)
}

/// The statements that copy `source`'s tables and rows from `from` into the current database.
fn copy_script(from: &str, into: &str, source: &Source) -> String {
    let mut script = vec!["SET SESSION FOREIGN_KEY_CHECKS = 0".to_string()];
    for (t, create, cols) in &source.tables {
        let list = cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
        script.push(without_implicit_fk_indexes(create));
        script.push(format!(
            "INSERT INTO {}.{} ({list}) SELECT {list} FROM {}.{}",
            ident(into),
            ident(t),
            ident(from),
            ident(t)
        ));
    }
    script.join(";\n")
}

async fn copy_database(
    ctx: &RunContext,
    from: &DbTarget,
    into: Option<&str>,
) -> Result<String, StepError> {
    let mut c = from.connect().await?;
    let source = read_source(&mut c, &from.database).await;
    let _ = c.disconnect().await;
    let source = source?;
    if source.others > 0 {
        return Err(StepError::NotCopyable);
    }
    let name = match into {
        Some(n) => n.to_string(),
        None => ctx.server.create_database().await?,
    };
    let work = async {
        let mut n = ctx.db(&name).connect().await?;
        // One round trip: a statement that fails ends the script with its error.
        n.query_drop(copy_script(&from.database, &name, &source))
            .await?;
        let _ = n.disconnect().await;
        Ok::<_, DbError>(())
    };
    match (work.await, into) {
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
