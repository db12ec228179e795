//! Connections reused per database. A run asks for a connection hundreds of times (every
//! snapshot, seed, copy and check), and opening one costs a TCP handshake, a login and a
//! server thread; a pooled one costs a reset. A connection returned to its pool is reset
//! (`COM_RESET_CONNECTION`, mysql_async's default), so no session state — sql_mode,
//! FOREIGN_KEY_CHECKS, a READ ONLY transaction mode, temporary tables, user variables —
//! reaches its next user.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use mysql_async::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};

/// How long closing a pool may wait for its connections to come back: a connection still
/// held then is dropped rather than the run kept waiting.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Idle connections a database's pool keeps (without an inactivity TTL, mysql_async keeps
/// `min` idle connections and closes the others as they come back).
const IDLE: usize = 1;

/// One pool per database (`None`: no default database) of one login; clones share them.
#[derive(Clone, Default)]
pub struct Pools {
    by_database: Arc<Mutex<HashMap<Option<String>, Pool>>>,
    session: Arc<OnceLock<Session>>,
}

/// What mysql_async asks the server after every login (`@@max_allowed_packet`,
/// `@@wait_timeout`) unless its options say it: the same for every connection of a login,
/// so read once and given to every pool made after.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub max_allowed_packet: usize,
    pub wait_timeout: usize,
}

impl Pools {
    /// The session settings, once a connection has read them.
    pub fn session(&self) -> Option<Session> {
        self.session.get().copied()
    }

    /// Keeps the session settings a connection read (the first one kept wins).
    pub fn remember(&self, session: Session) {
        let _ = self.session.set(session);
    }

    /// The pool for `db`, made from `opts` the first time.
    pub fn get(&self, db: Option<&str>, opts: impl FnOnce() -> Opts) -> Pool {
        let session = self.session();
        let mut pools = self.by_database.lock().expect("pool registry lock");
        pools
            .entry(db.map(str::to_string))
            .or_insert_with(|| {
                // One idle connection kept per database: steps use a database one at a
                // time, and a run has dozens of databases on a server whose connection
                // limit it shares with the tools' processes.
                let idle = match std::env::var("MH_DB_POOL").as_deref() {
                    // Every connection closed when handed back: to measure the pool, or to
                    // rule it out.
                    Ok("off") => 0,
                    _ => IDLE,
                };
                let pool_opts = PoolOpts::default()
                    .with_constraints(PoolConstraints::new(idle, 16).expect("idle <= 16"))
                    .with_reset_connection(true);
                let known = OptsBuilder::from_opts(opts())
                    .max_allowed_packet(session.map(|s| s.max_allowed_packet))
                    .wait_timeout(session.map(|s| s.wait_timeout));
                Pool::new(known.pool_opts(pool_opts))
            })
            .clone()
    }

    /// Closes `db`'s pool (before the database is dropped: its idle connections would
    /// otherwise keep pointing at a database that no longer exists).
    pub async fn close(&self, db: Option<&str>) {
        let pool = self
            .by_database
            .lock()
            .expect("pool registry lock")
            .remove(&db.map(str::to_string));
        if let Some(p) = pool {
            let _ = tokio::time::timeout(CLOSE_WAIT, p.disconnect()).await;
        }
    }

    /// Closes every pool: each connection says goodbye (`COM_QUIT`) instead of leaving an
    /// aborted connection in the server's log.
    pub async fn close_all(&self) {
        let pools: Vec<Pool> = self
            .by_database
            .lock()
            .expect("pool registry lock")
            .drain()
            .map(|(_, p)| p)
            .collect();
        for p in pools {
            let _ = tokio::time::timeout(CLOSE_WAIT, p.disconnect()).await;
        }
    }
}

/// A connection from a pool. It dereferences to `mysql_async::Conn`; `disconnect` hands
/// it back to its pool (reset there) instead of closing it.
pub struct Pooled(Conn);

impl Pooled {
    pub fn new(c: Conn) -> Self {
        Pooled(c)
    }

    /// Returns the connection to its pool.
    pub async fn disconnect(self) -> Result<(), mysql_async::Error> {
        drop(self.0);
        Ok(())
    }
}

impl Deref for Pooled {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.0
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.0
    }
}
