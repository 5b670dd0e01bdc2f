//! Durable storage in redb, behind the storage traits (`storage`). Every redb call runs on a store thread
//! (the single writer, the reader threads) or in `spawn_blocking`, never on an async task.
//! The database carries a format version (`format`) and every record a version byte (`codec`),
//! so an older database is upgraded and a newer one refused instead of misread.
//!
//! Layout: `tables` (definitions, shared reads), `keys` (index key encoding), `apply` (the
//! writer's snapshot and index maintenance), `writer` (group commit), `readers`,
//! `redb_storage` (the traits' impls), `view_reads` (one-transaction reads for the schedule page
//! and the calendar), `decoded` (parsed schedules kept beside their bytes), `versions`
//! (per-user data versions), `local_jobs` (the local job system's tables).

mod apply;
mod codec;
#[cfg(test)]
mod committed_format;
mod decoded;
pub mod export;
mod feeds;
mod format;
mod keys;
mod local_jobs;
pub mod postgres;
mod readers;
mod records;
mod redb_storage;
pub mod storage;
mod tables;
mod versions;
mod view_reads;
mod writer;

use std::path::Path;
use std::sync::Arc;

use redb::Database;

pub use format::DB_FORMAT;
pub use prelude::*;
pub use storage::{
    Fence, NodeLease, Rejected, RunExtent, RunMark, RunningCounts, ScheduleFilter, Snapshot,
    UnderWay, WindowRuns, WriteFn, WriteSet, write_with,
};

/// The storage traits (also re-exported here), for code that calls them on a concrete store
/// (tests, tools): `use sgsched::store::prelude::*`.
pub mod prelude {
    pub use super::storage::{
        ExecutionReads, Feeds, JobRecords, Nodes, ScheduleReads, SeriesReads, Storage, Tokens,
        ViewReads, Writes,
    };
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {message}")]
    Open { path: String, message: String },
    /// redb failed. Shared, because one failed group commit answers every write in it.
    #[error("database: {0}")]
    Db(#[source] Arc<redb::Error>),
    #[error(
        "record written by a newer sgsched (format {found}, this build reads up to {supported})"
    )]
    TooNew { found: u8, supported: u8 },
    #[error(
        "database written by a newer sgsched (format {found}), this build reads up to {supported}"
    )]
    DatabaseTooNew { found: u64, supported: u64 },
    /// PostgreSQL answered with an error (not a lost connection: see `Unavailable`).
    #[error("database: {0}")]
    Postgres(#[source] Arc<tokio_postgres::Error>),
    /// The database cannot be reached (refused, lost, or no connection free in time).
    #[error("the database is unreachable: {0}")]
    Unavailable(String),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("storage task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// A failure that trying again later may not meet (the database away, a failed commit),
    /// unlike a corrupt record or a bug.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Postgres(_) | StoreError::Db(_)
        )
    }
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { StoreError::Db(Arc::new(e.into())) }
        }
    )*};
}
db_err!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// The database file inside a data directory.
pub const DB_FILE: &str = "sgsched.redb";

/// The embedded database of `data_dir`, behind the storage interface: what `serve` runs on
/// when no other backend is configured.
pub fn open_embedded(data_dir: &Path) -> Result<Arc<dyn Storage>, StoreError> {
    Ok(Arc::new(Store::open(&data_dir.join(DB_FILE))?))
}

/// The PostgreSQL database at `url` (migrated to this build's schema), behind the storage
/// interface: what `serve --database-url` runs on.
pub async fn open_postgres(url: &str) -> Result<Arc<dyn Storage>, StoreError> {
    let store = postgres::PgStore::open(url, postgres::PgOptions::default()).await?;
    Ok(Arc::new(store))
}

/// How a [`Store`] writes.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// Merge concurrent writes into one durable commit (off = one commit per write, the
    /// benchmark's baseline).
    pub group_commit: bool,
    /// Most writes in one group.
    pub max_group: usize,
    /// Commits record allocator state, so a database reopened after a crash needs no full
    /// scan (open time stays flat as the database grows).
    pub quick_repair: bool,
    /// redb's page cache; `None` keeps redb's default.
    pub cache_bytes: Option<usize>,
    /// Reader threads; 0 = one per two available cores (see `readers`).
    pub readers: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            group_commit: true,
            max_group: 1024,
            quick_repair: true,
            cache_bytes: None,
            readers: 0,
        }
    }
}

/// The embedded database. Cheap to clone; the writer and reader threads stop when the last
/// clone is gone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    writer: Arc<writer::Writer>,
    readers: Arc<readers::Readers>,
    decoded: Arc<decoded::DecodedSchedules>,
    versions: Arc<versions::UserVersions>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, StoreOptions::default())
    }

    pub fn open_with(path: &Path, options: StoreOptions) -> Result<Self, StoreError> {
        let open_err = |message: String| StoreError::Open {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        }
        let mut builder = Database::builder();
        if let Some(bytes) = options.cache_bytes {
            builder.set_cache_size(bytes);
        }
        let db = builder.create(path).map_err(|e| open_err(e.to_string()))?;
        format::check_and_upgrade(&db)?;
        let db = Arc::new(db);
        let config = writer::WriterConfig {
            max_group: if options.group_commit {
                options.max_group
            } else {
                1
            },
            quick_repair: options.quick_repair,
        };
        let versions = Arc::new(versions::UserVersions::default());
        let writer = Arc::new(writer::Writer::start(db.clone(), versions.clone(), config)?);
        let count = match options.readers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(2)),
            n => n,
        };
        let readers = Arc::new(readers::Readers::start(&db, count)?);
        Ok(Self {
            db,
            writer,
            readers,
            decoded: Arc::default(),
            versions,
        })
    }

    /// Run `f` on a blocking thread: redb work must never sit on an async worker.
    pub(crate) async fn blocking<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Database) -> Result<R, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}
