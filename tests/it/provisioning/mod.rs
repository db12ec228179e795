//! Provisioning: every way of getting a server (container, local process, URL), Oracle MySQL
//! as a first-class server, and the whole suite on both engines side by side.
mod engines;
mod oracle_mysql;
mod providers;
