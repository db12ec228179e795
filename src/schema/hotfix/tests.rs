use super::super::model::{ColumnDefault, IndexColumn, Trigger, View};
use super::*;

fn col(name: &str, ty: &str, pos: u32) -> Column {
    Column {
        name: name.into(),
        position: pos,
        column_type: ty.into(),
        ..Default::default()
    }
}

fn index(name: &str, unique: bool, cols: &[&str]) -> Index {
    Index {
        name: name.into(),
        unique,
        columns: cols.iter().map(|c| IndexColumn::column(c)).collect(),
        kind: Default::default(),
        visible: true,
    }
}

fn table(name: &str, cols: &[Column]) -> Table {
    let mut t = Table {
        name: name.into(),
        ..Default::default()
    };
    for c in cols {
        t.columns.insert(c.name.clone(), c.clone());
    }
    t.indexes
        .insert("PRIMARY".into(), index("PRIMARY", true, &["id"]));
    t
}

fn snap(tables: Vec<Table>) -> Snapshot {
    let mut s = Snapshot::default();
    for t in tables {
        s.tables.insert(t.name.clone(), t);
    }
    s
}

fn user(with_token: bool) -> Snapshot {
    let mut cols = vec![Column {
        extra: "auto_increment".into(),
        ..col("id", "int", 1)
    }];
    if with_token {
        cols.push(Column {
            nullable: true,
            ..col("api_token", "varchar(64)", 2)
        });
    }
    let mut t = table("user", &cols);
    if with_token {
        t.indexes.insert(
            "ix_user_api_token".into(),
            index("ix_user_api_token", true, &["api_token"]),
        );
    }
    snap(vec![t])
}

fn fk(name: &str, cols: &[&str], to: &str, on_delete: &str) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: cols.iter().map(|c| c.to_string()).collect(),
        ref_table: to.into(),
        ref_columns: vec!["id".into()],
        on_update: "RESTRICT".into(),
        on_delete: on_delete.into(),
    }
}

#[test]
fn adds_what_is_missing() {
    assert_eq!(
        hotfix_ddl(&user(false), &user(true)),
        [
            "ALTER TABLE `user` ADD COLUMN `api_token` varchar(64) NULL",
            "CREATE UNIQUE INDEX `ix_user_api_token` ON `user` (`api_token`)"
        ]
    );
}

#[test]
fn drops_the_index_before_the_column() {
    assert_eq!(
        hotfix_ddl(&user(true), &user(false)),
        [
            "DROP INDEX `ix_user_api_token` ON `user`",
            "ALTER TABLE `user` DROP COLUMN `api_token`"
        ]
    );
}

#[test]
fn a_table_with_a_new_name_and_the_same_shape_is_renamed() {
    let a = user(true);
    let mut t = a.tables["user"].clone();
    t.name = "account".into();
    let b = snap(vec![t]);
    assert_eq!(hotfix_ddl(&a, &b), ["RENAME TABLE `user` TO `account`"]);
}

#[test]
fn a_column_with_a_new_name_and_the_same_definition_is_renamed() {
    let a = user(true);
    let mut b = a.clone();
    let t = b.tables.get_mut("user").unwrap();
    let mut c = t.columns.remove("api_token").unwrap();
    c.name = "token".into();
    t.columns.insert("token".into(), c);
    t.indexes.get_mut("ix_user_api_token").unwrap().columns = vec![IndexColumn::column("token")];
    assert_eq!(
        hotfix_ddl(&a, &b),
        ["ALTER TABLE `user` RENAME COLUMN `api_token` TO `token`"],
        "the index follows the column: nothing else to do"
    );
}

#[test]
fn a_changed_primary_key_is_one_alter_not_drop_index_primary() {
    let a = user(true);
    let mut b = a.clone();
    b.tables.get_mut("user").unwrap().indexes.insert(
        "PRIMARY".into(),
        index("PRIMARY", true, &["id", "api_token"]),
    );
    let sql = hotfix_ddl(&a, &b);
    assert_eq!(
        sql,
        ["ALTER TABLE `user` DROP PRIMARY KEY, ADD PRIMARY KEY (`id`, `api_token`)"]
    );
    let mut none = a.clone();
    none.tables
        .get_mut("user")
        .unwrap()
        .indexes
        .remove("PRIMARY");
    assert_eq!(
        hotfix_ddl(&a, &none),
        ["ALTER TABLE `user` DROP PRIMARY KEY"]
    );
    assert_eq!(
        hotfix_ddl(&none, &a),
        ["ALTER TABLE `user` ADD PRIMARY KEY (`id`)"]
    );
}

#[test]
fn a_changed_foreign_key_is_dropped_then_added_after_its_index() {
    let order = |on_delete: &str, with_index: bool| {
        let mut t = table("orders", &[col("id", "int", 1), col("user_id", "int", 2)]);
        t.foreign_keys.insert(
            "fk_user".into(),
            fk("fk_user", &["user_id"], "user", on_delete),
        );
        if with_index {
            t.indexes
                .insert("fk_user".into(), index("fk_user", false, &["user_id"]));
        }
        let mut s = user(false);
        s.tables.insert("orders".into(), t);
        s
    };
    assert_eq!(
        hotfix_ddl(&order("CASCADE", true), &order("SET NULL", true)),
        [
            "ALTER TABLE `orders` DROP FOREIGN KEY `fk_user`",
            "ALTER TABLE `orders` ADD CONSTRAINT `fk_user` FOREIGN KEY (`user_id`) REFERENCES `user` (`id`) ON DELETE SET NULL ON UPDATE RESTRICT"
        ]
    );
    // Dropping: the key before the index it uses. Adding: the index before the key.
    let mut bare = order("CASCADE", false);
    bare.tables.get_mut("orders").unwrap().foreign_keys.clear();
    assert_eq!(
        hotfix_ddl(&order("CASCADE", true), &bare),
        [
            "ALTER TABLE `orders` DROP FOREIGN KEY `fk_user`",
            "DROP INDEX `fk_user` ON `orders`"
        ]
    );
    let back = hotfix_ddl(&bare, &order("CASCADE", true));
    assert!(back[0].starts_with("CREATE INDEX `fk_user`"), "{back:?}");
    assert!(
        back[1].contains("ADD CONSTRAINT `fk_user` FOREIGN KEY"),
        "{back:?}"
    );
}

#[test]
fn a_changed_check_is_dropped_then_added() {
    let with = |clause: &str| {
        let mut s = user(true);
        s.tables
            .get_mut("user")
            .unwrap()
            .checks
            .insert("ck_id".into(), clause.into());
        s
    };
    assert_eq!(
        hotfix_ddl(&with("`id` > 0"), &with("`id` > 10")),
        [
            "ALTER TABLE `user` DROP CONSTRAINT `ck_id`",
            "ALTER TABLE `user` ADD CONSTRAINT `ck_id` CHECK (`id` > 10)"
        ]
    );
}

#[test]
fn expression_defaults_are_not_quoted() {
    let a = user(false);
    let mut b = a.clone();
    let t = b.tables.get_mut("user").unwrap();
    for (name, d) in [
        ("uid", ColumnDefault::Expression("uuid()".into())),
        ("at", ColumnDefault::Expression("CURRENT_TIMESTAMP".into())),
        ("label", ColumnDefault::Literal("it's".into())),
        ("n", ColumnDefault::Literal("0".into())),
    ] {
        t.columns.insert(
            name.into(),
            Column {
                default: Some(d),
                nullable: true,
                ..col(name, "varchar(36)", 9)
            },
        );
    }
    assert_eq!(
        hotfix_ddl(&a, &b),
        [
            "ALTER TABLE `user` ADD COLUMN `at` varchar(36) NULL DEFAULT CURRENT_TIMESTAMP",
            "ALTER TABLE `user` ADD COLUMN `label` varchar(36) NULL DEFAULT 'it''s'",
            "ALTER TABLE `user` ADD COLUMN `n` varchar(36) NULL DEFAULT 0",
            "ALTER TABLE `user` ADD COLUMN `uid` varchar(36) NULL DEFAULT (uuid())",
        ]
    );
}

#[test]
fn generated_columns_and_collations() {
    let mut a = user(false);
    a.tables.get_mut("user").unwrap().options.collation = "utf8mb4_general_ci".into();
    let mut b = a.clone();
    let t = b.tables.get_mut("user").unwrap();
    t.columns.insert(
        "double_id".into(),
        Column {
            nullable: true,
            extra: "stored generated".into(),
            generation_expression: Some("`id` * 2".into()),
            ..col("double_id", "int", 2)
        },
    );
    t.columns.insert(
        "code".into(),
        Column {
            nullable: true,
            collation: Some("latin1_bin".into()),
            ..col("code", "varchar(8)", 3)
        },
    );
    assert_eq!(
        hotfix_ddl(&a, &b),
        [
            "ALTER TABLE `user` ADD COLUMN `code` varchar(8) CHARACTER SET latin1 COLLATE latin1_bin NULL",
            "ALTER TABLE `user` ADD COLUMN `double_id` int GENERATED ALWAYS AS (`id` * 2) STORED",
        ]
    );
    // VIRTUAL ↔ STORED cannot be modified in place: drop and add (it holds no data).
    let mut c = b.clone();
    c.tables
        .get_mut("user")
        .unwrap()
        .columns
        .get_mut("double_id")
        .unwrap()
        .extra = "virtual generated".into();
    assert_eq!(
        hotfix_ddl(&b, &c),
        [
            "ALTER TABLE `user` DROP COLUMN `double_id`",
            "ALTER TABLE `user` ADD COLUMN `double_id` int GENERATED ALWAYS AS (`id` * 2) VIRTUAL",
        ]
    );
}

#[test]
fn new_tables_come_before_the_foreign_keys_that_point_at_them() {
    let mut child = table("child", &[col("id", "int", 1), col("p", "int", 2)]);
    child
        .foreign_keys
        .insert("fk_p".into(), fk("fk_p", &["p"], "parent", "CASCADE"));
    child.create_sql = "CREATE TABLE `child` (…)".into();
    let mut parent = table("parent", &[col("id", "int", 1)]);
    parent.create_sql = "CREATE TABLE `parent` (…)".into();
    // `user` gains a key to the new parent too.
    let mut b = user(false);
    b.tables
        .get_mut("user")
        .unwrap()
        .foreign_keys
        .insert("fk_up".into(), fk("fk_up", &["id"], "parent", "CASCADE"));
    b.tables.insert("child".into(), child);
    b.tables.insert("parent".into(), parent);
    let sql = hotfix_ddl(&user(false), &b);
    assert_eq!(sql[0], "CREATE TABLE `parent` (…)");
    assert_eq!(sql[1], "CREATE TABLE `child` (…)");
    assert!(sql[2].starts_with("ALTER TABLE `user` ADD CONSTRAINT `fk_up`"));
    assert_eq!(sql.len(), 3);
}

#[test]
fn dropped_tables_lose_their_foreign_keys_first() {
    let mut child = table("child", &[col("id", "int", 1), col("p", "int", 2)]);
    child
        .foreign_keys
        .insert("fk_p".into(), fk("fk_p", &["p"], "parent", "CASCADE"));
    let parent = table("parent", &[col("id", "int", 1), col("x", "int", 2)]);
    let a = snap(vec![child, parent]);
    assert_eq!(
        hotfix_ddl(&a, &Snapshot::default()),
        [
            "ALTER TABLE `child` DROP FOREIGN KEY `fk_p`",
            "DROP TABLE `child`",
            "DROP TABLE `parent`"
        ]
    );
}

#[test]
fn views_and_triggers() {
    let before = user(false);
    let mut after = before.clone();
    after.views.insert(
        "v".into(),
        View {
            name: "v".into(),
            definition: "select `user`.`id` AS `id` from `user`".into(),
            check_option: "CASCADED".into(),
            security_type: "INVOKER".into(),
        },
    );
    assert_eq!(
        hotfix_ddl(&before, &after),
        ["CREATE OR REPLACE SQL SECURITY INVOKER VIEW `v` AS select `user`.`id` AS `id` from `user` WITH CASCADED CHECK OPTION"]
    );
    let mut with_trigger = before.clone();
    with_trigger.triggers.insert(
        "trg".into(),
        Trigger {
            name: "trg".into(),
            table: "user".into(),
            timing: "BEFORE".into(),
            event: "INSERT".into(),
            statement: "SET NEW.id = NEW.id + 1".into(),
            ..Default::default()
        },
    );
    assert_eq!(hotfix_ddl(&with_trigger, &before), ["DROP TRIGGER `trg`"]);
}

#[test]
fn a_renamed_table_keeps_its_auto_named_keys_under_the_new_name() {
    let mut orders = table("orders", &[col("id", "int", 1), col("p", "int", 2)]);
    orders.foreign_keys.insert(
        "orders_ibfk_1".into(),
        fk("orders_ibfk_1", &["p"], "user", "RESTRICT"),
    );
    let mut line = table("line", &[col("id", "int", 1), col("o", "int", 2)]);
    line.foreign_keys
        .insert("fk_o".into(), fk("fk_o", &["o"], "orders", "RESTRICT"));
    let a = snap(vec![orders.clone(), line.clone()]);
    let mut purchase = orders;
    purchase.name = "purchase".into();
    purchase.foreign_keys = [(
        "purchase_ibfk_1".to_string(),
        fk("purchase_ibfk_1", &["p"], "user", "RESTRICT"),
    )]
    .into();
    line.foreign_keys
        .insert("fk_o".into(), fk("fk_o", &["o"], "purchase", "RESTRICT"));
    let b = snap(vec![purchase, line]);
    assert_eq!(
        hotfix_ddl(&a, &b),
        ["RENAME TABLE `orders` TO `purchase`"],
        "the server re-points fk_o and renames orders_ibfk_1 itself"
    );
}
