//! Durable storage in redb. Every redb call runs inside `spawn_blocking` (or a writer thread),
//! never on an async task. Records are encoded with a leading format-version byte so an older
//! database can be upgraded and a newer one refused instead of misread.

mod codec;
mod local_jobs;

use std::path::Path;
use std::sync::Arc;

use redb::Database;

pub use local_jobs::LocalJobRecord;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {message}")]
    Open { path: String, message: String },
    #[error("database: {0}")]
    Db(String),
    #[error("record written by a newer sgsched (format {found}, this build reads up to {supported})")]
    TooNew { found: u8, supported: u8 },
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("storage task failed: {0}")]
    Task(String),
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { StoreError::Db(e.to_string()) }
        }
    )*};
}
db_err!(redb::Error, redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);

/// The embedded database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open { path: path.display().to_string(), message: e.to_string() })?;
        }
        let db = Database::create(path).map_err(|e| StoreError::Open { path: path.display().to_string(), message: e.to_string() })?;
        let store = Self { db: Arc::new(db) };
        store.init_tables()?;
        Ok(store)
    }

    /// Create every table up front so readers never meet a missing one.
    fn init_tables(&self) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        local_jobs::init(&tx)?;
        tx.commit()?;
        Ok(())
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
