//! Connections to the server under test (mysql_async over TCP only), URLs for the tools,
//! and server errors as data.

mod error;
mod pool;

pub use error::{server_error, DbError, ServerError, Unready};
pub use pool::{Pooled, Pools};

use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters kept as-is in URL userinfo; everything else is percent-encoded.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn url_encode(s: &str) -> String {
    utf8_percent_encode(s, USERINFO).to_string()
}

/// Where a server listens and how to log in. The password is never printed by `Debug`.
#[derive(Clone, Default)]
pub struct ConnInfo {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// Connections of this login kept for reuse, per database (shared by clones).
    pub pools: Pools,
}

impl std::fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}:{}", self.user, self.host, self.port)
    }
}

impl ConnInfo {
    /// Options for mysql_async. `prefer_socket(false)`: with the default, the driver reads
    /// `@@socket` after a TCP login and reconnects to *this machine's* socket — which may be
    /// a different server than the one we started.
    pub fn opts(&self, db: Option<&str>) -> Opts {
        OptsBuilder::default()
            .ip_or_hostname(self.host.clone())
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .db_name(db.map(str::to_string))
            .prefer_socket(false)
            .into()
    }

    /// The one way to log in; the error names the server and database (never the password).
    /// The connection comes from `db`'s pool, reset since its last use.
    pub async fn connect(&self, db: Option<&str>) -> Result<Pooled, DbError> {
        let first = self.pools.session().is_none();
        let mut c = self
            .pools
            .get(db, || self.opts(db))
            .get_conn()
            .await
            .map(Pooled::new)
            .map_err(|e| DbError::connect(format!("{self:?}"), db, e))?;
        if first {
            // Read once per login: later pools are told, and their connections skip the
            // question (a run opens a hundred connections, to dozens of databases).
            use mysql_async::prelude::Queryable;
            if let Ok(Some((max_allowed_packet, wait_timeout))) = c
                .query_first::<(usize, usize), _>("SELECT @@max_allowed_packet, @@wait_timeout")
                .await
            {
                self.pools.remember(pool::Session {
                    max_allowed_packet,
                    wait_timeout,
                });
            }
        }
        Ok(c)
    }

    /// Closes the pooled connections to `db` (before it is dropped).
    pub async fn forget(&self, db: &str) {
        self.pools.close(Some(db)).await;
    }

    /// URL in the given scheme (`mysql+pymysql`, `mysql`), credentials percent-encoded
    /// (every byte but `A-Za-z0-9-._~`, the spelling the redactor also masks).
    pub fn url(&self, scheme: &str, db: Option<&str>) -> String {
        let mut u = url::Url::parse(&format!("{scheme}://localhost/"))
            .expect("a scheme of letters, digits and `+` parses");
        let host = match self.host.parse::<std::net::IpAddr>() {
            Ok(ip) => u.set_ip_host(ip).is_ok(),
            Err(_) => u.set_host(Some(&self.host)).is_ok(),
        };
        debug_assert!(host, "host {} is not a URL host", self.host);
        // `url` leaves existing `%XX` alone, so the pre-encoded credentials go in as they are.
        let _ = u.set_username(&url_encode(&self.user));
        if !self.password.is_empty() {
            let _ = u.set_password(Some(&url_encode(&self.password)));
        }
        let _ = u.set_port(Some(self.port));
        u.set_path(&format!("/{}", db.map(url_encode).unwrap_or_default()));
        if scheme.starts_with("mysql+") {
            u.set_query(Some("charset=utf8mb4"));
        }
        u.to_string()
    }

    /// Parses `mysql://user:pass@host:port/db` (scheme variants such as `mysql+pymysql`
    /// accepted); user defaults to `root`, port to 3306.
    pub fn parse_url(text: &str) -> Result<(ConnInfo, Option<String>), BadUrl> {
        let u = url::Url::parse(text).map_err(BadUrl::Unparsable)?;
        let host = match u.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(h) => h.to_string(),
            None => return Err(BadUrl::NoHost),
        };
        if host.is_empty() {
            return Err(BadUrl::NoHost);
        }
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = match u.username() {
            "" => "root".to_string(),
            name => dec(name),
        };
        let db = u
            .path_segments()
            .and_then(|mut s| s.next())
            .map(dec)
            .filter(|d| !d.is_empty());
        Ok((
            ConnInfo {
                host,
                port: u.port().unwrap_or(3306),
                user,
                password: u.password().map(dec).unwrap_or_default(),
                pools: Default::default(),
            },
            db,
        ))
    }
}

/// Why a server URL was refused (the URL itself is not kept: it may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadUrl {
    #[error("{0}: expected mysql://user:password@host:port/")]
    Unparsable(url::ParseError),
    #[error("URL has no host")]
    NoHost,
}

/// True when the failure means the connection or server is gone rather than a refusal.
pub fn is_connection_lost(e: &mysql_async::Error) -> bool {
    error::lost(e)
}

/// Finds the last server error a tool printed: PyMySQL/MySQLdb `(1054, "Unknown column ...")`,
/// mysql client `ERROR 1060 (42S21) at line 1: ...`, Go `Error 1060 (42S21): ...`.
pub fn parse_error_text(text: &str) -> Option<ServerError> {
    static RES: std::sync::OnceLock<Vec<regex::Regex>> = std::sync::OnceLock::new();
    let res = RES.get_or_init(|| {
        [
            r#"\((\d{4}), "((?:[^"\\]|\\.)*)"\)"#,
            r#"\((\d{4}), '((?:[^'\\]|\\.)*)'\)"#,
            r"ERROR (\d{4}) \([0-9A-Z]{5}\)(?: at line \d+)?: (.*)",
            r"Error (\d{4})(?: \([0-9A-Z]{5}\))?: (.*)",
        ]
        .iter()
        .map(|p| regex::Regex::new(p).expect("regex"))
        .collect()
    });
    let mut best: Option<(usize, ServerError)> = None;
    for re in res {
        for c in re.captures_iter(text) {
            let pos = c.get(0).map(|m| m.start()).unwrap_or(0);
            let code: u16 = match c[1].parse() {
                Ok(v) if (1000..5000).contains(&v) => v,
                _ => continue,
            };
            let message = c[2]
                .replace("\\'", "'")
                .replace("\\\"", "\"")
                .trim()
                .to_string();
            if best.as_ref().is_none_or(|(p, _)| pos >= *p) {
                best = Some((pos, ServerError { code, message }));
            }
        }
    }
    best.map(|(_, e)| e)
}

/// Quotes an identifier with backticks.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Quotes a string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// `s` as a string literal when it needs no escaping at all (the harness's own database
/// names), so it reads the same whatever the session's `sql_mode` says of backslashes.
pub fn plain_literal(s: &str) -> Option<String> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then(|| format!("'{s}'"))
}

/// Tries `SELECT 1` until it works or the deadline passes; the error keeps the last failure.
pub async fn wait_ready(info: &ConnInfo, deadline: Duration) -> Result<(), DbError> {
    let start = std::time::Instant::now();
    let mut last = Unready::NoAttempt;
    while start.elapsed() < deadline {
        let attempt = tokio::time::timeout(Duration::from_secs(5), async {
            let mut c = Conn::new(info.opts(None)).await?;
            let v: Option<i64> = c.query_first("SELECT 1").await?;
            let _ = c.disconnect().await;
            Ok::<_, mysql_async::Error>(v)
        })
        .await;
        match attempt {
            Ok(Ok(Some(1))) => return Ok(()),
            Ok(Ok(_)) => last = Unready::NoRow,
            Ok(Err(e)) => last = Unready::Failed(e),
            Err(_) => last = Unready::AttemptTimedOut,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(DbError::NotReady {
        server: format!("{info:?}"),
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pymysql_tracebacks() {
        let t = "Traceback...\npymysql.err.OperationalError: (1054, \"Unknown column 'user.api_token' in 'SELECT'\")\n[SQL: SELECT ...]";
        let e = parse_error_text(t).unwrap();
        assert_eq!(e.code, 1054);
        assert_eq!(e.message, "Unknown column 'user.api_token' in 'SELECT'");
    }

    #[test]
    fn parses_client_and_go_errors_taking_the_last() {
        let t = "ERROR 1060 (42S21) at line 1: Duplicate column name 'api_token'\nError 1091 (42000): Can't DROP INDEX `ix`; check that it exists";
        let e = parse_error_text(t).unwrap();
        assert_eq!(e.code, 1091);
        assert!(parse_error_text("all good (200, \"ok\")").is_none());
    }

    #[test]
    fn urls_encode_credentials_and_round_trip() {
        let c = ConnInfo {
            host: "127.0.0.1".into(),
            port: 3307,
            user: "ro ot".into(),
            password: "p@ss:w/rd".into(),
            pools: Default::default(),
        };
        let u = c.url("mysql+pymysql", Some("mh_1"));
        assert_eq!(
            u,
            "mysql+pymysql://ro%20ot:p%40ss%3Aw%2Frd@127.0.0.1:3307/mh_1?charset=utf8mb4"
        );
        let (back, db) = ConnInfo::parse_url(&u).unwrap();
        assert_eq!(back.password, "p@ss:w/rd");
        assert_eq!(back.user, "ro ot");
        assert_eq!(back.port, 3307);
        assert_eq!(db.as_deref(), Some("mh_1"));
    }

    #[test]
    fn url_parsing_defaults_and_refusals() {
        let (c, db) = ConnInfo::parse_url("mysql://db.example:3310").unwrap();
        assert_eq!(
            (c.user.as_str(), c.port, c.password.as_str()),
            ("root", 3310, "")
        );
        assert_eq!(c.host, "db.example");
        assert_eq!(db, None);
        let (c, _) = ConnInfo::parse_url("mysql://u:p@[::1]/x?ssl=0").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 3306));
        assert_eq!(c.url("mysql", None), "mysql://u:p@[::1]:3306/");
        assert!(ConnInfo::parse_url("mysql://u:p@h:99999/")
            .unwrap_err()
            .to_string()
            .contains("port"));
        assert!(matches!(
            ConnInfo::parse_url("mysql:///db"),
            Err(BadUrl::NoHost)
        ));
        assert!(ConnInfo::parse_url("localhost:3306").is_err());
        assert!(ConnInfo::parse_url("mysql:///db").is_err());
    }
}
