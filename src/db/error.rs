//! `DbError`: what went wrong talking to the server under test, as data — which server and
//! database, which statement, the server's code, a timeout — so a caller tells a lost server
//! from a refused statement without asking the server again. Text only in `Display`, which
//! reads as the driver's own message did (reports quote it).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Server codes that mean the connection or the server is gone, not that a statement was
/// refused: 1053 shutdown in progress, 1927 connection killed, 2006 gone away, 2013 lost
/// during query.
const LOST_CODES: [u16; 4] = [1053, 1927, 2006, 2013];

/// What the server refused, as data: `1054 Unknown column 'user.api_token' in 'SELECT'`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerError {
    pub code: u16,
    pub message: String,
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

/// The server's own error, if this is one (not an I/O or driver failure).
pub fn server_error(e: &mysql_async::Error) -> Option<ServerError> {
    match e {
        mysql_async::Error::Server(s) => Some(ServerError {
            code: s.code,
            message: s.message.clone(),
        }),
        _ => None,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Logging in to `server` (database `database`) failed.
    #[error("{source}")]
    Connect {
        /// `user@host:port`, never the password.
        server: String,
        database: Option<String>,
        #[source]
        source: mysql_async::Error,
    },
    /// A statement failed: refused by the server (its code in `source`) or cut off.
    #[error("{source}")]
    Statement {
        /// The statement sent, when the caller knows it (None for a library's own queries).
        statement: Option<String>,
        #[source]
        source: mysql_async::Error,
    },
    /// A statement did not finish within the step's timeout.
    #[error("timed out after {seconds} s")]
    TimedOut { statement: String, seconds: u64 },
    /// The server did not answer `SELECT 1` before the deadline.
    #[error("{last}")]
    NotReady { server: String, last: Unready },
}

/// The last thing a readiness wait saw.
#[derive(Debug)]
pub enum Unready {
    NoAttempt,
    NoRow,
    AttemptTimedOut,
    Failed(mysql_async::Error),
}

impl fmt::Display for Unready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unready::NoAttempt => f.write_str("no attempt"),
            Unready::NoRow => f.write_str("SELECT 1 returned no row"),
            Unready::AttemptTimedOut => f.write_str("connection attempt timed out"),
            Unready::Failed(e) => write!(f, "{e}"),
        }
    }
}

impl From<mysql_async::Error> for DbError {
    fn from(source: mysql_async::Error) -> Self {
        DbError::Statement {
            statement: None,
            source,
        }
    }
}

impl DbError {
    /// A failed login to `server` (`user@host:port`, as `ConnInfo`'s `Debug` prints it).
    pub fn connect(server: String, database: Option<&str>, source: mysql_async::Error) -> Self {
        DbError::Connect {
            server,
            database: database.map(str::to_string),
            source,
        }
    }

    /// `map_err(DbError::at(sql))`: a failed statement that keeps its text.
    pub fn at(statement: impl Into<String>) -> impl FnOnce(mysql_async::Error) -> DbError {
        let statement = statement.into();
        move |source| DbError::Statement {
            statement: Some(statement),
            source,
        }
    }

    /// The driver error underneath, if any.
    pub fn driver_error(&self) -> Option<&mysql_async::Error> {
        match self {
            DbError::Connect { source, .. } | DbError::Statement { source, .. } => Some(source),
            DbError::NotReady {
                last: Unready::Failed(e),
                ..
            } => Some(e),
            _ => None,
        }
    }

    /// The driver's error for code that speaks mysql_async (the SQL-directory driver);
    /// its `Display` is this error's.
    pub fn into_source(self) -> mysql_async::Error {
        match self {
            DbError::Connect { source, .. } | DbError::Statement { source, .. } => source,
            DbError::NotReady {
                last: Unready::Failed(e),
                ..
            } => e,
            other => mysql_async::Error::Other(other.to_string().into()),
        }
    }

    /// What the server refused, with its code — None when the server never answered.
    pub fn server_error(&self) -> Option<ServerError> {
        self.driver_error().and_then(server_error)
    }

    /// The statement that failed, when known.
    pub fn statement(&self) -> Option<&str> {
        match self {
            DbError::Statement { statement, .. } => statement.as_deref(),
            DbError::TimedOut { statement, .. } => Some(statement),
            _ => None,
        }
    }

    /// True when the server is gone (refused connection, gone away, lost during query,
    /// killed) rather than a statement refused: the step cannot go on on this server.
    pub fn is_server_lost(&self) -> bool {
        match self {
            DbError::NotReady { .. } => true,
            DbError::TimedOut { .. } => false,
            DbError::Connect { source, .. } | DbError::Statement { source, .. } => lost(source),
        }
    }
}

/// The classification on the driver's error alone (pure).
pub fn lost(e: &mysql_async::Error) -> bool {
    match e {
        mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => true,
        mysql_async::Error::Server(s) => LOST_CODES.contains(&s.code),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: u16) -> mysql_async::Error {
        mysql_async::Error::Server(mysql_async::ServerError {
            code,
            message: format!("message {code}"),
            state: "HY000".into(),
        })
    }

    fn refused_io() -> mysql_async::Error {
        mysql_async::Error::Io(mysql_async::IoError::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused (os error 111)",
        )))
    }

    #[test]
    fn a_refused_statement_is_not_a_lost_server() {
        let e = DbError::at("ALTER TABLE t ADD c INT")(server(1060));
        assert!(!e.is_server_lost());
        assert_eq!(e.server_error().map(|s| s.code), Some(1060));
        assert_eq!(e.statement(), Some("ALTER TABLE t ADD c INT"));
    }

    #[test]
    fn gone_away_lost_and_killed_connections_are_a_lost_server() {
        for code in [2006, 2013, 1927, 1053] {
            assert!(DbError::from(server(code)).is_server_lost(), "{code}");
        }
        let refused = DbError::Connect {
            server: "root@127.0.0.1:1".into(),
            database: None,
            source: refused_io(),
        };
        assert!(refused.is_server_lost());
        assert!(refused.server_error().is_none());
    }

    #[test]
    fn an_access_denied_login_is_not_a_lost_server() {
        let e = DbError::Connect {
            server: "u@h:3306".into(),
            database: Some("mh_1".into()),
            source: server(1045),
        };
        assert!(!e.is_server_lost());
    }

    #[test]
    fn a_timeout_names_its_seconds_and_keeps_the_statement() {
        let e = DbError::TimedOut {
            statement: "SELECT SLEEP(9)".into(),
            seconds: 3,
        };
        assert_eq!(e.to_string(), "timed out after 3 s");
        assert!(!e.is_server_lost());
        assert_eq!(e.statement(), Some("SELECT SLEEP(9)"));
    }

    #[test]
    fn display_reads_as_the_driver_message() {
        let e = DbError::from(server(1146));
        assert_eq!(e.to_string(), server(1146).to_string());
    }
}
