//! The PostgreSQL backend: the same storage traits as redb, for several nodes on one database.
//! tokio-postgres is the driver (the async half of rust-postgres: no build-time database, no
//! macros, no TLS or ORM pulled in) and deadpool-postgres its pool (small, async, with
//! timeouts on waiting and connecting, so a lost database is an error and never a hang).
//!
//! Writes run the caller's closure inside one transaction on a blocking thread: the closure's
//! snapshot reads (`snapshot`) lock the rows they return (`FOR UPDATE`), so two nodes changing
//! one schedule take turns, and a serialization failure or a deadlock runs the closure again
//! from the start. Rows are written from and read back as the records' JSON (`rows`), so the
//! stored field list is the records' own. `migrations` owns the schema; `reads` the traits'
//! read side.

mod listen;
mod migrations;
mod nodes;
mod reads;
mod rows;
mod snapshot;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio::sync::watch;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use super::StoreError;
use super::storage::{Rejected, WriteFn, Writes};
use crate::model::UserId;

pub use migrations::latest as latest_schema;

/// How a [`PgStore`] connects.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Most connections this node holds.
    pub max_connections: usize,
    /// How long a request waits for a connection (or for one to be made) before it fails
    /// as unavailable.
    pub connect_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// A PostgreSQL database behind the storage traits. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    versions: Arc<AtomicU64>,
    /// Counts the other nodes' notifications (see `listen`); the listener stops when the
    /// last store clone and receiver are gone.
    heard: watch::Receiver<u64>,
}

/// `url` with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match url.parse::<tokio_postgres::Config>() {
        Ok(c) => {
            let hosts: Vec<String> = c
                .get_hosts()
                .iter()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect();
            format!(
                "postgres://{}@{}/{}",
                c.get_user().unwrap_or(""),
                hosts.join(","),
                c.get_dbname().unwrap_or("")
            )
        }
        Err(_) => "(an unparsable PostgreSQL URL)".to_string(),
    }
}

impl PgStore {
    /// Connect to `url`, apply the migrations this build has and the database lacks, or fail
    /// with a clear message (unreachable, refused, newer than this build).
    pub async fn open(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let open_err = |message: String| StoreError::Open {
            path: redact(url),
            message,
        };
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| open_err(format!("not a PostgreSQL URL: {e}")))?;
        // Every instant is read and written in UTC; a dead peer is noticed in seconds, not
        // after the kernel's two hours.
        config
            .options("-c TimeZone=UTC")
            .application_name("sgsched")
            .connect_timeout(options.connect_timeout)
            .keepalives_idle(Duration::from_secs(10))
            .tcp_user_timeout(Duration::from_secs(15));
        let (tell, heard) = watch::channel(0);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.connect_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|e| open_err(e.to_string()))?;
        let store = PgStore {
            pool,
            versions: Arc::default(),
            heard,
        };
        let mut client = store.client().await.map_err(|e| open_err(e.to_string()))?;
        migrations::migrate(&mut client)
            .await
            .map_err(|e| match e {
                e @ StoreError::DatabaseTooNew { .. } => e,
                e => open_err(e.to_string()),
            })?;
        tokio::spawn(listen::listen(config, tell));
        Ok(store)
    }

    pub(in crate::store) async fn client(&self) -> Result<Object, StoreError> {
        // Whatever keeps a connection from being made or handed out (refused, timed out, a
        // database not accepting connections) means the database is unreachable for now.
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

/// A driver error as the storage layer reports it: a lost or refused connection is
/// `Unavailable` (the API answers 503), anything else `Postgres`.
pub(in crate::store) fn pg_err(e: tokio_postgres::Error) -> StoreError {
    let unreachable = e.is_closed()
        || e.code().is_some_and(|c| {
            let c = c.code();
            c.starts_with("08") || c.starts_with("57P") || c == "53300"
        })
        || (e.code().is_none()
            && std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()));
    if unreachable {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Postgres(Arc::new(e))
    }
}

/// A failure that running the transaction again may not meet.
fn retryable(e: &StoreError) -> bool {
    match e {
        StoreError::Postgres(e) => matches!(
            e.code(),
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        ),
        _ => false,
    }
}

/// Runs of one write closure before its failure is the caller's.
const WRITE_ATTEMPTS: u32 = 8;

#[async_trait::async_trait]
impl Writes for PgStore {
    async fn write(&self, f: WriteFn) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let rt = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut f = f;
            let mut attempt = 0;
            loop {
                attempt += 1;
                match snapshot::run(&rt, &mut client, &mut f) {
                    Err(e) if retryable(&e) && attempt < WRITE_ATTEMPTS => {
                        tracing::debug!(attempt, error = %e, "retrying a write transaction");
                        std::thread::sleep(Duration::from_millis(2 << attempt.min(6)));
                    }
                    Ok(Ok(())) => return Ok(()),
                    Ok(Err(Rejected)) => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Another node's writes are not seen here, so no view may be kept across requests: the
    /// number moves on every call.
    fn data_version(&self, _user: UserId) -> u64 {
        self.versions.fetch_add(1, Ordering::Relaxed)
    }
}
