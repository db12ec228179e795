//! `UrlProvisioner`: an existing server given by URL; the run only creates (and later drops)
//! its own `mh_` databases there.

use std::time::Instant;

use super::{ProviderKind, ProvisionError, Provisioner, Server};
use crate::db::ConnInfo;
use crate::error::Result;
use crate::redact::Redactor;

pub struct UrlProvisioner {
    conn: ConnInfo,
}

impl UrlProvisioner {
    pub fn new(url: &str) -> Result<Self> {
        let (conn, _db) = ConnInfo::parse_url(url)?;
        Ok(UrlProvisioner { conn })
    }
}

#[async_trait::async_trait]
impl Provisioner for UrlProvisioner {
    async fn provision(&self, run_id: &str, redactor: &Redactor) -> Result<Server> {
        let started = Instant::now();
        redactor.add(&self.conn.password);
        let version = Server::read_version(&self.conn)
            .await
            .map_err(|e| ProvisionError::UrlUnreachable(redactor.redact(&e.to_string())))?;
        let mut s = Server::new(ProviderKind::Url, self.conn.clone(), version, run_id, None);
        s.startup_ms = started.elapsed().as_millis() as u64;
        Ok(s)
    }
}
