//! The derived hot-fix DDL applies on a real server. For each case, schema A and
//! schema B are built on two databases, the DDL is derived from their snapshots and applied
//! to A, and A's snapshot must then equal B's; rows in A must survive renames.
//! 10.11 runs on the local mariadbd; 10.5 and 11.8 on the locally built images.

use std::time::Duration;

use migration_harness::provision::{ContainerProvisioner, LocalProvisioner, Provisioner, Server};
use migration_harness::redact::Redactor;
use migration_harness::schema::{self, Snapshot};
use mysql_async::prelude::Queryable;

struct Case {
    name: &'static str,
    a: &'static [&'static str],
    b: &'static [&'static str],
    /// Each must occur in the derived DDL (joined by newlines).
    has: &'static [&'static str],
    /// None may occur in it.
    lacks: &'static [&'static str],
    /// A query on A after the hot-fix and the single value it must return: the rows survived.
    rows: Option<(&'static str, i64)>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "table rename keeps its rows",
            a: &[
                "CREATE TABLE users (id int PRIMARY KEY, name varchar(20), KEY ix_name (name))",
                "INSERT INTO users VALUES (1, 'a'), (2, 'b'), (3, 'c')",
            ],
            b: &["CREATE TABLE accounts (id int PRIMARY KEY, name varchar(20), KEY ix_name (name))"],
            has: &["RENAME TABLE `users` TO `accounts`"],
            lacks: &["DROP TABLE", "CREATE TABLE"],
            rows: Some(("SELECT COUNT(*) FROM accounts", 3)),
        },
        Case {
            name: "renamed table with an auto-named foreign key, pointed at by another",
            a: &[
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE orders (id int PRIMARY KEY, p int, FOREIGN KEY (p) REFERENCES parent (id))",
                "CREATE TABLE line (id int PRIMARY KEY, o int, CONSTRAINT fk_o FOREIGN KEY (o) REFERENCES orders (id))",
                "INSERT INTO parent VALUES (1)",
                "INSERT INTO orders VALUES (1, 1), (2, 1)",
            ],
            b: &[
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE purchase (id int PRIMARY KEY, p int, FOREIGN KEY (p) REFERENCES parent (id))",
                "CREATE TABLE line (id int PRIMARY KEY, o int, CONSTRAINT fk_o FOREIGN KEY (o) REFERENCES purchase (id))",
            ],
            has: &["RENAME TABLE `orders` TO `purchase`"],
            lacks: &["DROP TABLE", "DROP FOREIGN KEY `fk_o`"],
            rows: Some(("SELECT COUNT(*) FROM purchase", 2)),
        },
        Case {
            name: "column rename keeps its values and its index",
            a: &[
                "CREATE TABLE t (id int PRIMARY KEY, email varchar(50) NOT NULL, KEY ix_email (email))",
                "INSERT INTO t VALUES (1, 'x@y'), (2, 'z@y')",
            ],
            b: &["CREATE TABLE t (id int PRIMARY KEY, mail varchar(50) NOT NULL, KEY ix_email (mail))"],
            has: &["RENAME COLUMN `email` TO `mail`"],
            lacks: &["DROP COLUMN", "ADD COLUMN", "DROP INDEX"],
            rows: Some(("SELECT COUNT(*) FROM t WHERE mail LIKE '%@y'", 2)),
        },
        Case {
            name: "primary key widened",
            a: &[
                "CREATE TABLE t (id int NOT NULL, k int NOT NULL, PRIMARY KEY (id))",
                "INSERT INTO t VALUES (1, 1), (2, 1)",
            ],
            b: &["CREATE TABLE t (id int NOT NULL, k int NOT NULL, PRIMARY KEY (id, k))"],
            has: &["DROP PRIMARY KEY, ADD PRIMARY KEY (`id`, `k`)"],
            lacks: &["INDEX `PRIMARY`"],
            rows: Some(("SELECT COUNT(*) FROM t", 2)),
        },
        Case {
            name: "primary key added and another dropped",
            a: &[
                "CREATE TABLE t (id int NOT NULL)",
                "CREATE TABLE u (id int NOT NULL PRIMARY KEY)",
            ],
            b: &[
                "CREATE TABLE t (id int NOT NULL PRIMARY KEY)",
                "CREATE TABLE u (id int NOT NULL)",
            ],
            has: &["ADD PRIMARY KEY (`id`)", "ALTER TABLE `u` DROP PRIMARY KEY"],
            lacks: &["INDEX `PRIMARY`"],
            rows: None,
        },
        Case {
            name: "named foreign key changed",
            a: &[
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, p int, CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES parent (id) ON DELETE CASCADE)",
            ],
            b: &[
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, p int, CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES parent (id) ON DELETE SET NULL)",
            ],
            has: &["DROP FOREIGN KEY `fk_p`", "ADD CONSTRAINT `fk_p`"],
            lacks: &[],
            rows: None,
        },
        Case {
            name: "auto-named foreign key changed",
            a: &[
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, p int, FOREIGN KEY (p) REFERENCES parent (id) ON DELETE CASCADE)",
            ],
            b: &[
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, p int, FOREIGN KEY (p) REFERENCES parent (id) ON DELETE RESTRICT)",
            ],
            has: &["DROP FOREIGN KEY `child_ibfk_1`"],
            lacks: &[],
            rows: None,
        },
        Case {
            name: "foreign key with its supporting index, to a new table",
            a: &["CREATE TABLE child (id int PRIMARY KEY, p int)"],
            b: &[
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, p int, CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES parent (id))",
            ],
            has: &["CREATE TABLE `parent`", "ADD CONSTRAINT `fk_p`"],
            lacks: &[],
            rows: None,
        },
        Case {
            name: "foreign key and its index dropped, tables dropped",
            a: &[
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, p int, CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES parent (id))",
                "CREATE TABLE gone_a (id int PRIMARY KEY)",
                "CREATE TABLE gone_b (id int PRIMARY KEY, a int, x int, FOREIGN KEY (a) REFERENCES gone_a (id))",
            ],
            b: &[
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, p int)",
            ],
            has: &["DROP FOREIGN KEY `fk_p`", "DROP INDEX `fk_p`"],
            lacks: &[],
            rows: None,
        },
        Case {
            name: "check changed",
            a: &[
                "CREATE TABLE t (id int PRIMARY KEY, a int, CONSTRAINT ck_a CHECK (a > 0))",
                "INSERT INTO t VALUES (1, 20)",
            ],
            b: &["CREATE TABLE t (id int PRIMARY KEY, a int, CONSTRAINT ck_a CHECK (a > 10))"],
            has: &["DROP CONSTRAINT `ck_a`", "ADD CONSTRAINT `ck_a` CHECK"],
            lacks: &[],
            rows: Some(("SELECT COUNT(*) FROM t", 1)),
        },
        Case {
            name: "expression and literal defaults",
            a: &["CREATE TABLE t (id int PRIMARY KEY, v varchar(36) DEFAULT 'x')"],
            b: &["CREATE TABLE t (id int PRIMARY KEY, v varchar(36) DEFAULT (uuid()), \
                  uid varchar(36) DEFAULT (uuid()), at timestamp NULL DEFAULT CURRENT_TIMESTAMP, \
                  label varchar(10) DEFAULT 'uuid()', quote varchar(10) DEFAULT 'it''s', \
                  n int DEFAULT 0, d date DEFAULT '2020-01-01', amount decimal(10,2) DEFAULT 1.50, \
                  sum_default int DEFAULT (1 + 2))"],
            has: &[
                "DEFAULT (uuid())",
                "DEFAULT CURRENT_TIMESTAMP",
                "DEFAULT 'uuid()'",
                "DEFAULT 'it''s'",
            ],
            lacks: &["DEFAULT 'uuid())'", "DEFAULT 'current_timestamp"],
            rows: None,
        },
        Case {
            name: "generated columns added and changed",
            a: &["CREATE TABLE t (id int PRIMARY KEY, a int, g int AS (a * 2) VIRTUAL)"],
            b: &["CREATE TABLE t (id int PRIMARY KEY, a int, g int AS (a * 2) STORED, \
                  h varchar(30) AS (concat('n-', a)) VIRTUAL)"],
            has: &["GENERATED ALWAYS AS", "STORED", "VIRTUAL"],
            lacks: &[],
            rows: None,
        },
        Case {
            name: "table and column collations",
            a: &["CREATE TABLE t (id int PRIMARY KEY, s varchar(20), c varchar(8)) \
                  DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"],
            b: &["CREATE TABLE t (id int PRIMARY KEY, s varchar(20), c varchar(8) CHARACTER SET latin1 COLLATE latin1_bin) \
                  DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"],
            has: &["COLLATE latin1_bin", "COLLATE utf8mb4_bin"],
            lacks: &[],
            rows: None,
        },
    ]
}

async fn build(server: &Server, db: &str, sql: &[&str]) -> Result<Snapshot, String> {
    let mut c = server
        .conn
        .connect(Some(db))
        .await
        .map_err(|e| e.to_string())?;
    for s in sql {
        c.query_drop(*s)
            .await
            .map_err(|e| format!("setting up: {s}: {e}"))?;
    }
    let snap = schema::take_snapshot(&mut c, db, server.engine, &[])
        .await
        .map_err(|e| e.to_string())?;
    c.disconnect().await.map_err(|e| e.to_string())?;
    Ok(snap)
}

/// Derives the hot-fix for one case, applies it to A and compares; Err says what went wrong.
async fn run_case(server: &Server, case: &Case) -> Result<(), String> {
    let (da, db) = (
        server.create_database().await.map_err(|e| e.to_string())?,
        server.create_database().await.map_err(|e| e.to_string())?,
    );
    let result = async {
        let a = build(server, &da, case.a).await?;
        let b = build(server, &db, case.b).await?;
        let ddl = schema::hotfix_ddl(&a, &b);
        let text = ddl.join("\n");
        for needle in case.has {
            if !text.contains(needle) {
                return Err(format!("DDL lacks {needle:?}:\n{text}"));
            }
        }
        for needle in case.lacks {
            if text.contains(needle) {
                return Err(format!("DDL has {needle:?}:\n{text}"));
            }
        }
        let mut c = server
            .conn
            .connect(Some(&da))
            .await
            .map_err(|e| e.to_string())?;
        for s in &ddl {
            c.query_drop(s.as_str())
                .await
                .map_err(|e| format!("refused: {s}: {e}\nwhole DDL:\n{text}"))?;
        }
        if let Some((q, want)) = case.rows {
            let got: Option<i64> = c.query_first(q).await.map_err(|e| e.to_string())?;
            if got != Some(want) {
                return Err(format!("{q} gave {got:?}, expected {want}"));
            }
        }
        let after = schema::take_snapshot(&mut c, &da, server.engine, &[])
            .await
            .map_err(|e| e.to_string())?;
        c.disconnect().await.map_err(|e| e.to_string())?;
        let left: Vec<String> = schema::diff(&after, &b)
            .iter()
            .map(|c| c.to_string())
            .collect();
        if !left.is_empty() {
            return Err(format!(
                "after the DDL A still differs from B: {left:#?}\nDDL:\n{text}"
            ));
        }
        Ok(())
    }
    .await;
    server.drop_database(&da).await.map_err(|e| e.to_string())?;
    server.drop_database(&db).await.map_err(|e| e.to_string())?;
    result
}

async fn all_cases_on(server: Server) {
    let mut failures = Vec::new();
    let all = cases();
    for case in &all {
        if let Err(e) = run_case(&server, case).await {
            failures.push(format!("{}: {e}", case.name));
        }
    }
    let version = server.version.clone();
    server.teardown().await.unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} hot-fix cases failed on {version}:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn hotfix_ddl_applies_on_local_mariadb() {
    let bin = migration_harness::provision::find_server_binary().expect("mariadbd");
    let server = LocalProvisioner::new(bin, Duration::from_secs(60))
        .provision("hotfixlocal", &Redactor::new())
        .await
        .expect("local server");
    all_cases_on(server).await;
}

async fn on_image(image: &str, run_id: &str) {
    let server = ContainerProvisioner::new(image, Duration::from_secs(180))
        .provision(run_id, &Redactor::new())
        .await
        .unwrap_or_else(|e| panic!("{image} starts (build it with scripts/build-images.sh): {e}"));
    all_cases_on(server).await;
}

#[tokio::test]
async fn hotfix_ddl_applies_on_mariadb_10_5() {
    on_image("migration-harness/mariadb:10.5", "hotfix105").await;
}

#[tokio::test]
async fn hotfix_ddl_applies_on_mariadb_11_8() {
    on_image("migration-harness/mariadb:11.8", "hotfix118").await;
}
