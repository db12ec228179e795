//! Every provider hands out a real server, two fresh databases work, and teardown
//! leaves nothing behind. Server errors come back as data.

use crate::common;

use std::time::Duration;

use migration_harness::db::{server_error, ConnInfo};
use migration_harness::provision::{
    labelled_containers, ContainerProvisioner, Engine, LocalProvisioner, ProviderKind, Provisioner,
    Server, UrlProvisioner,
};
use migration_harness::redact::Redactor;
use mysql_async::prelude::Queryable;

fn mariadbd() -> std::path::PathBuf {
    migration_harness::provision::find_server_binary()
        .expect("mariadbd installed by scripts/setup-env.sh")
}

/// Two databases, DDL and a query in each, and the version read back.
async fn exercise(server: &Server) {
    let a = server.create_database().await.unwrap();
    let b = server.create_database().await.unwrap();
    assert_ne!(a, b);
    assert!(a.starts_with(&format!("mh_{}_", server.run_id)), "{a}");
    for (db, n) in [(&a, 1i64), (&b, 2i64)] {
        let mut c = server.conn.connect(Some(db)).await.unwrap();
        c.query_drop("CREATE TABLE t (id int PRIMARY KEY, v varchar(10))")
            .await
            .unwrap();
        c.exec_drop("INSERT INTO t VALUES (?, 'x')", (n,))
            .await
            .unwrap();
        let got: Option<i64> = c.query_first("SELECT id FROM t").await.unwrap();
        assert_eq!(got, Some(n));
        let dbname: Option<String> = c.query_first("SELECT DATABASE()").await.unwrap();
        assert_eq!(dbname.as_deref(), Some(db.as_str()));
        c.disconnect().await.unwrap();
    }
    assert!(server.version.contains("MariaDB"), "{}", server.version);
    assert_eq!(server.engine, Engine::Mariadb);
}

#[tokio::test]
async fn container_provider_round_trip_leaves_no_container() {
    let run_id = "t1container";
    let p = ContainerProvisioner::new(&common::image(), Duration::from_secs(120));
    let server = p
        .provision(run_id, &Redactor::new())
        .await
        .expect("container starts");
    assert_eq!(server.provider, ProviderKind::Container);
    assert_eq!(labelled_containers(Some(run_id)).await.unwrap().len(), 1);
    exercise(&server).await;
    server.teardown().await.unwrap();
    assert!(
        labelled_containers(Some(run_id)).await.unwrap().is_empty(),
        "container left behind"
    );
}

#[tokio::test]
async fn local_provider_round_trip_leaves_no_process_or_dir() {
    let run_id = "t2local";
    let p = LocalProvisioner::new(mariadbd(), Duration::from_secs(60));
    let server = p
        .provision(run_id, &Redactor::new())
        .await
        .expect("mariadbd starts");
    assert_eq!(server.provider, ProviderKind::Local);
    assert_eq!(common::temp_dirs_matching(run_id).len(), 1);
    assert_eq!(
        common::processes_matching(&format!("mh-local-{run_id}-")).len(),
        1
    );
    // Never the machine's own server: we connected over TCP to our port.
    assert_ne!(server.conn.port, 3306);
    exercise(&server).await;
    server.teardown().await.unwrap();
    assert!(
        common::temp_dirs_matching(run_id).is_empty(),
        "temp datadir left behind"
    );
    assert!(
        common::processes_matching(&format!("mh-local-{run_id}-")).is_empty(),
        "mariadbd left running"
    );
}

#[tokio::test]
async fn url_provider_works_only_in_its_own_databases() {
    // The "existing server" is one this test starts, holding a database the harness must not touch.
    let outer = LocalProvisioner::new(mariadbd(), Duration::from_secs(60))
        .provision("t3outer", &Redactor::new())
        .await
        .unwrap();
    let mut admin = outer.conn.connect(None).await.unwrap();
    admin.query_drop("CREATE DATABASE app_prod").await.unwrap();
    admin
        .query_drop("CREATE TABLE app_prod.users (id int PRIMARY KEY)")
        .await
        .unwrap();
    admin
        .query_drop("INSERT INTO app_prod.users VALUES (1), (2)")
        .await
        .unwrap();

    let url = outer.conn.url("mysql", None);
    let server = UrlProvisioner::new(&url)
        .unwrap()
        .provision("t3url", &Redactor::new())
        .await
        .unwrap();
    assert_eq!(server.provider, ProviderKind::Url);
    exercise(&server).await;
    let err = server.drop_database("app_prod").await.unwrap_err();
    assert!(err.to_string().contains("did not create"), "{err}");
    server.teardown().await.unwrap();

    let left: Vec<String> = admin.query("SHOW DATABASES LIKE 'mh\\_%'").await.unwrap();
    assert!(left.is_empty(), "mh_ databases left: {left:?}");
    let rows: Option<i64> = admin
        .query_first("SELECT COUNT(*) FROM app_prod.users")
        .await
        .unwrap();
    assert_eq!(
        rows,
        Some(2),
        "the harness touched a database it did not create"
    );
    admin.disconnect().await.unwrap();
    outer.teardown().await.unwrap();
}

#[tokio::test]
async fn unknown_column_is_error_1054_as_data() {
    let server = LocalProvisioner::new(mariadbd(), Duration::from_secs(60))
        .provision("t4err", &Redactor::new())
        .await
        .unwrap();
    let db = server.create_database().await.unwrap();
    let mut c = server.conn.connect(Some(&db)).await.unwrap();
    c.query_drop("CREATE TABLE user (id int PRIMARY KEY)")
        .await
        .unwrap();
    let e = c
        .query_drop("SELECT user.api_token FROM user")
        .await
        .unwrap_err();
    let se = server_error(&e).expect("a server error, not an I/O error");
    assert_eq!(se.code, 1054);
    assert!(se.message.contains("api_token"), "{}", se.message);
    c.disconnect().await.unwrap();
    server.teardown().await.unwrap();
}

#[test]
fn url_rendering_encodes_credentials() {
    let c = ConnInfo {
        host: "127.0.0.1".into(),
        port: 3310,
        user: "app".into(),
        password: "p@ss/word".into(),
        pools: Default::default(),
    };
    assert_eq!(
        c.url("mysql", Some("d")),
        "mysql://app:p%40ss%2Fword@127.0.0.1:3310/d"
    );
}

#[tokio::test]
async fn local_provider_never_hands_out_a_server_it_did_not_start() {
    // Another server already listens on the port ours is told to use: SELECT 1 would answer,
    // but from the wrong server. Provisioning must fail instead of returning it.
    let other = LocalProvisioner::new(mariadbd(), Duration::from_secs(60))
        .provision("t5other", &Redactor::new())
        .await
        .unwrap();
    let err = LocalProvisioner::new(mariadbd(), Duration::from_secs(60))
        .with_port(other.conn.port)
        .provision("t5mine", &Redactor::new())
        .await
        .expect_err("a foreign server must not be used");
    eprintln!("refused: {err}");
    assert!(
        err.to_string().contains("Address already in use")
            || err.to_string().contains("another server"),
        "{err}"
    );
    assert!(
        common::temp_dirs_matching("t5mine").is_empty(),
        "temp dir of the failed start left behind"
    );
    assert!(common::processes_matching("mh-local-t5mine-").is_empty());
    other.teardown().await.unwrap();
}
