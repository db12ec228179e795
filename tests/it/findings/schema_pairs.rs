//! Pairs of schemas on real MariaDB servers (10.5, 10.11, 11.8). For every object
//! kind and attribute the snapshot models, one pair that must differ — and the diff must name
//! the object — and one that must compare equal (including the same schema reached through
//! two histories, where auto-named constraints differ in name only).

use crate::common;

use std::time::Duration;

use migration_harness::provision::{ContainerProvisioner, Provisioner, Server};
use migration_harness::redact::Redactor;
use migration_harness::schema::{self, Snapshot};
use mysql_async::prelude::Queryable;

enum Expect {
    /// Some change's text contains this (e.g. "- view v").
    Differs(&'static str),
    Equal,
}

struct Pair {
    name: &'static str,
    /// (major, minor) of the first MariaDB version with the feature.
    since: (u32, u32),
    a: &'static [&'static str],
    b: &'static [&'static str],
    expect: Expect,
}

const T: &str = "CREATE TABLE t (id int PRIMARY KEY, a int, s varchar(20))";

fn pairs() -> Vec<Pair> {
    use Expect::*;
    let p = |name, a, b, expect| Pair {
        name,
        since: (10, 5),
        a,
        b,
        expect,
    };
    vec![
        // Views
        p("view missing", &[T, "CREATE VIEW v AS SELECT id FROM t"], &[T], Differs("- view v ")),
        p("view definition", &[T, "CREATE VIEW v AS SELECT id FROM t"], &[T, "CREATE VIEW v AS SELECT id, a FROM t"], Differs("~ view v:")),
        p("view check option", &[T, "CREATE VIEW v AS SELECT id FROM t WHERE a > 0"], &[T, "CREATE VIEW v AS SELECT id FROM t WHERE a > 0 WITH CHECK OPTION"], Differs("~ view v:")),
        p("view replaced back", &[T, "CREATE VIEW v AS SELECT id FROM t"], &[T, "CREATE VIEW v AS SELECT a FROM t", "CREATE OR REPLACE VIEW v AS SELECT id FROM t"], Equal),
        // Triggers
        p("trigger missing", &[T, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1"], &[T], Differs("- trigger trg ")),
        p("trigger body", &[T, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1"], &[T, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 2"], Differs("~ trigger trg:")),
        p("trigger timing", &[T, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET @x = 1"], &[T, "CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW SET @x = 1"], Differs("~ trigger trg:")),
        p("trigger by another definer", &[T, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1"], &[T, "CREATE DEFINER=`someone`@`%` TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1"], Equal),
        // Routines
        p("procedure missing", &[T, "CREATE PROCEDURE p() SELECT 1"], &[T], Differs("- procedure p ")),
        p("procedure parameters", &[T, "CREATE PROCEDURE p(x int) SELECT x"], &[T, "CREATE PROCEDURE p(x bigint) SELECT x"], Differs("~ procedure p:")),
        p("function body", &[T, "CREATE FUNCTION f(x int) RETURNS int DETERMINISTIC RETURN x + 1"], &[T, "CREATE FUNCTION f(x int) RETURNS int DETERMINISTIC RETURN x + 2"], Differs("~ function f:")),
        p("function by another definer", &[T, "CREATE FUNCTION f(x int) RETURNS int DETERMINISTIC RETURN x + 1"], &[T, "CREATE DEFINER=`someone`@`%` FUNCTION f(x int) RETURNS int DETERMINISTIC RETURN x + 1"], Equal),
        // Events
        p("event missing", &[T, "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t"], &[T], Differs("- event ev ")),
        p("event schedule", &[T, "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t"], &[T, "CREATE EVENT ev ON SCHEDULE EVERY 2 DAY DO DELETE FROM t"], Differs("~ event ev:")),
        p("event created at another time", &[T, "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t"], &[T, "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t", "DO SLEEP(1.1)", "DROP EVENT ev", "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t"], Equal),
        // Sequences
        p("sequence missing", &[T, "CREATE SEQUENCE sq"], &[T], Differs("- sequence sq ")),
        p("sequence increment", &[T, "CREATE SEQUENCE sq INCREMENT BY 1"], &[T, "CREATE SEQUENCE sq INCREMENT BY 5"], Differs("~ sequence sq:")),
        p("sequence with explicit defaults", &[T, "CREATE SEQUENCE sq"], &[T, "CREATE SEQUENCE sq START WITH 1 INCREMENT BY 1"], Equal),
        // Table options
        p("system versioning", &["CREATE TABLE t (id int PRIMARY KEY) WITH SYSTEM VERSIONING"], &["CREATE TABLE t (id int PRIMARY KEY)"], Differs("~ table t system versioning")),
        p("engine", &["CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB"], &["CREATE TABLE t (id int PRIMARY KEY) ENGINE=MyISAM"], Differs("~ table t engine")),
        p("table collation", &["CREATE TABLE t (id int PRIMARY KEY) COLLATE utf8mb4_general_ci"], &["CREATE TABLE t (id int PRIMARY KEY) COLLATE utf8mb4_unicode_ci"], Differs("~ table t collation")),
        p("row format", &["CREATE TABLE t (id int PRIMARY KEY) ROW_FORMAT=DYNAMIC"], &["CREATE TABLE t (id int PRIMARY KEY) ROW_FORMAT=COMPACT"], Differs("~ table t row format")),
        p("table comment", &["CREATE TABLE t (id int PRIMARY KEY) COMMENT 'orders'"], &["CREATE TABLE t (id int PRIMARY KEY)"], Differs("~ table t comment")),
        p("partitioning", &["CREATE TABLE t (id int PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2"], &["CREATE TABLE t (id int PRIMARY KEY)"], Differs("~ table t partitioning")),
        p("explicit engine and collation", &["CREATE TABLE t (id int PRIMARY KEY)"], &["CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB", "ALTER TABLE t COMMENT 'x'", "ALTER TABLE t COMMENT ''"], Equal),
        // Fallback: an option the model does not know still shows up.
        p("unmodelled option (SHOW CREATE fallback)", &["CREATE TABLE t (id int PRIMARY KEY) STATS_PERSISTENT=0"], &["CREATE TABLE t (id int PRIMARY KEY)"], Differs("~ table t definition (SHOW CREATE TABLE)")),
        // Columns
        p("column comment", &["CREATE TABLE t (id int PRIMARY KEY, a int COMMENT 'cents')"], &["CREATE TABLE t (id int PRIMARY KEY, a int)"], Differs("~ column t.a:")),
        p("column comment added later", &["CREATE TABLE t (id int PRIMARY KEY, a int COMMENT 'cents')"], &["CREATE TABLE t (id int PRIMARY KEY, a int)", "ALTER TABLE t MODIFY a int COMMENT 'cents'"], Equal),
        p("generated expression", &["CREATE TABLE t (id int PRIMARY KEY, a int, g int AS (a + 1) VIRTUAL)"], &["CREATE TABLE t (id int PRIMARY KEY, a int, g int AS (a + 2) VIRTUAL)"], Differs("~ column t.g:")),
        p("generated stored vs virtual", &["CREATE TABLE t (id int PRIMARY KEY, a int, g int AS (a + 1) VIRTUAL)"], &["CREATE TABLE t (id int PRIMARY KEY, a int, g int AS (a + 1) STORED)"], Differs("~ column t.g:")),
        p("generated expression spacing", &["CREATE TABLE t (id int PRIMARY KEY, a int, g int AS (a+1) VIRTUAL)"], &["CREATE TABLE t (id int PRIMARY KEY, a int, g int AS ( a  +  1 ) VIRTUAL)"], Equal),
        p("column collation", &["CREATE TABLE t (id int PRIMARY KEY, s varchar(9) COLLATE utf8mb4_bin)"], &["CREATE TABLE t (id int PRIMARY KEY, s varchar(9) COLLATE utf8mb4_general_ci)"], Differs("~ column t.s:")),
        p("column default", &["CREATE TABLE t (id int PRIMARY KEY, a int DEFAULT 1)"], &["CREATE TABLE t (id int PRIMARY KEY, a int DEFAULT 2)"], Differs("~ column t.a:")),
        p("column default spelled as a string", &["CREATE TABLE t (id int PRIMARY KEY, a int DEFAULT 1)"], &["CREATE TABLE t (id int PRIMARY KEY, a int DEFAULT '1')"], Equal),
        p("nullability", &["CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL)"], &["CREATE TABLE t (id int PRIMARY KEY, a int NULL)"], Differs("~ column t.a:")),
        p("enum label case", &["CREATE TABLE t (id int PRIMARY KEY, e enum('Open','closed'))"], &["CREATE TABLE t (id int PRIMARY KEY, e enum('open','closed'))"], Differs("~ column t.e: enum('Open','closed')")),
        p("set labels", &["CREATE TABLE t (id int PRIMARY KEY, e set('A','B'))"], &["CREATE TABLE t (id int PRIMARY KEY, e set('A','B','C'))"], Differs("~ column t.e:")),
        p("enum keyword case", &["CREATE TABLE t (id int PRIMARY KEY, e ENUM('Open','closed'))"], &["CREATE TABLE t (id int PRIMARY KEY, e enum('Open','closed'))"], Equal),
        p("column order only (warning)", &["CREATE TABLE t (id int PRIMARY KEY, a int, b int)"], &["CREATE TABLE t (id int PRIMARY KEY, b int)", "ALTER TABLE t ADD COLUMN a int AFTER id", "ALTER TABLE t MODIFY b int AFTER id"], Equal),
        // Indexes
        p("index missing", &[T, "CREATE INDEX ix ON t (a)"], &[T], Differs("- index ix on t")),
        p("fulltext vs btree", &[T, "CREATE FULLTEXT INDEX ix ON t (s)"], &[T, "CREATE INDEX ix ON t (s)"], Differs("~ index ix on t:")),
        p("prefix length", &[T, "CREATE INDEX ix ON t (s(5))"], &[T, "CREATE INDEX ix ON t (s(10))"], Differs("~ index ix on t:")),
        p("unique", &[T, "CREATE UNIQUE INDEX ix ON t (a)"], &[T, "CREATE INDEX ix ON t (a)"], Differs("~ index ix on t:")),
        p("spatial index", &["CREATE TABLE t (id int PRIMARY KEY, g geometry NOT NULL, SPATIAL INDEX ix (g))"], &["CREATE TABLE t (id int PRIMARY KEY, g geometry NOT NULL)"], Differs("- index ix on t (g) SPATIAL")),
        p("index inline vs created", &["CREATE TABLE t (id int PRIMARY KEY, a int, KEY ix (a))"], &["CREATE TABLE t (id int PRIMARY KEY, a int)", "CREATE INDEX ix ON t (a)"], Equal),
        Pair { name: "index ignored", since: (10, 6), a: &[T, "CREATE INDEX ix ON t (a)"], b: &[T, "CREATE INDEX ix ON t (a) IGNORED"], expect: Differs("~ index ix on t: (a) → (a) INVISIBLE") },
        Pair { name: "descending index", since: (10, 8), a: &[T, "CREATE INDEX ix ON t (a DESC)"], b: &[T, "CREATE INDEX ix ON t (a)"], expect: Differs("~ index ix on t: (a DESC) → (a)") },
        // Foreign keys
        p("fk action", &["CREATE TABLE parent (id int PRIMARY KEY)", "CREATE TABLE child (id int PRIMARY KEY, p int, CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES parent (id) ON DELETE CASCADE)"], &["CREATE TABLE parent (id int PRIMARY KEY)", "CREATE TABLE child (id int PRIMARY KEY, p int, CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES parent (id) ON DELETE RESTRICT)"], Differs("~ foreign key child.fk_p:")),
        p("fk missing", &["CREATE TABLE parent (id int PRIMARY KEY)", "CREATE TABLE child (id int PRIMARY KEY, p int, KEY p (p), FOREIGN KEY (p) REFERENCES parent (id))"], &["CREATE TABLE parent (id int PRIMARY KEY)", "CREATE TABLE child (id int PRIMARY KEY, p int, KEY p (p))"], Differs("- foreign key child.child_ibfk_1")),
        p("auto-named fk through another history", &["CREATE TABLE parent (id int PRIMARY KEY)", "CREATE TABLE child (id int PRIMARY KEY, p int, FOREIGN KEY (p) REFERENCES parent (id))"], &["CREATE TABLE parent (id int PRIMARY KEY)", "CREATE TABLE child (id int PRIMARY KEY, p int, q int, FOREIGN KEY (q) REFERENCES parent (id), FOREIGN KEY (p) REFERENCES parent (id))", "ALTER TABLE child DROP FOREIGN KEY child_ibfk_1", "ALTER TABLE child DROP COLUMN q"], Equal),
        // Checks
        p("check clause", &["CREATE TABLE t (id int PRIMARY KEY, a int, CONSTRAINT ck CHECK (a > 0))"], &["CREATE TABLE t (id int PRIMARY KEY, a int, CONSTRAINT ck CHECK (a > 1))"], Differs("~ check t.ck:")),
        p("check missing", &["CREATE TABLE t (id int PRIMARY KEY, a int, CHECK (a > 0))"], &["CREATE TABLE t (id int PRIMARY KEY, a int)"], Differs("- check t.CONSTRAINT_1")),
        p("auto-named check through another history", &["CREATE TABLE t (id int PRIMARY KEY, a int, CHECK (a > 0))"], &["CREATE TABLE t (id int PRIMARY KEY, a int, CHECK (a < 100), CHECK (a > 0))", "ALTER TABLE t DROP CONSTRAINT CONSTRAINT_1"], Equal),
    ]
}

fn version_of(server: &Server) -> (u32, u32) {
    let mut it = server
        .version
        .split(['.', '-'])
        .map(|p| p.parse().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

async fn schema_after(server: &Server, sql: &[&str]) -> Snapshot {
    let db = server.create_database().await.unwrap();
    let mut c = server.conn.connect(Some(&db)).await.unwrap();
    for s in sql {
        c.query_drop(*s)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e} on {}", server.version));
    }
    let snap = schema::take_snapshot(&mut c, &db, server.engine, &[])
        .await
        .unwrap();
    c.disconnect().await.unwrap();
    server.drop_database(&db).await.unwrap();
    snap
}

/// Runs every pair on one server; collects all failures so one run shows them all.
async fn pairs_on(image: &str, run_id: &str) {
    let p = ContainerProvisioner::new(image, Duration::from_secs(180));
    let server = p
        .provision(run_id, &Redactor::new())
        .await
        .unwrap_or_else(|e| panic!("{image} starts (build it with scripts/build-images.sh): {e}"));
    let version = version_of(&server);
    let mut failures = Vec::new();
    let mut ran = 0;
    for pair in pairs() {
        if version < pair.since {
            continue;
        }
        ran += 1;
        let a = schema_after(&server, pair.a).await;
        let b = schema_after(&server, pair.b).await;
        let changes: Vec<String> = schema::diff(&a, &b).iter().map(|c| c.to_string()).collect();
        match pair.expect {
            Expect::Equal if !changes.is_empty() => {
                failures.push(format!("{}: expected equal, got {changes:#?}", pair.name))
            }
            Expect::Differs(needle) if !changes.iter().any(|c| c.contains(needle)) => failures
                .push(format!(
                    "{}: expected a change containing {needle:?}, got {changes:#?}",
                    pair.name
                )),
            _ => {}
        }
        if pair.name == "column order only (warning)" && schema::warnings(&a, &b).is_empty() {
            failures.push("column order: expected a warning".into());
        }
    }
    server.teardown().await.unwrap();
    assert!(ran >= 50, "only {ran} pairs ran on {}", server.version);
    assert!(
        failures.is_empty(),
        "{} of {ran} pairs failed on {}:\n{}",
        failures.len(),
        server.version,
        failures.join("\n")
    );
}

#[tokio::test]
async fn pairs_on_mariadb_10_11() {
    pairs_on(&common::image(), "pairs1011").await;
}

#[tokio::test]
async fn pairs_on_mariadb_10_5() {
    pairs_on("migration-harness/mariadb:10.5", "pairs105").await;
}

#[tokio::test]
async fn pairs_on_mariadb_11_8() {
    pairs_on("migration-harness/mariadb:11.8", "pairs118").await;
}

/// The acceptance case: a downgrade that forgets a view, a trigger, a column comment
/// and a table collation fails `downgrade` with four differences, each naming its object.
#[test]
fn downgrade_that_forgets_four_objects_names_each() {
    let image = common::image();
    let run = common::harness(
        &[
            "--config",
            "examples/schema-objects/harness.toml",
            "--db",
            "container",
            "--image",
            &image,
            "--scenario",
            "downgrade",
            "--format",
            "json,md,html",
        ],
        &[],
    );
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let s = run.scenario("downgrade");
    assert_eq!(s["status"], "failed");
    let step = s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["action"] == "assert_schema_equals")
        .expect("assert_schema_equals step")
        .clone();
    let diff: Vec<String> = step["diff"]
        .as_array()
        .expect("diff lines")
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    assert_eq!(diff.len(), 4, "{diff:#?}");
    for needle in [
        "+ view v_orders ",
        "+ trigger trg_orders_total ",
        "~ column orders.total: int NOT NULL DEFAULT 0 → int NOT NULL DEFAULT 0 COMMENT 'amount in cents'",
        "~ table orders collation: \"utf8mb4_general_ci\" → \"utf8mb4_unicode_ci\"",
    ] {
        assert!(
            diff.iter().any(|d| d.starts_with(needle)),
            "no {needle:?} in {diff:#?}"
        );
    }
    assert!(run.file("report.html").contains("+ view v_orders"));
}
