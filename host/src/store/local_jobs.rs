//! The local job system's jobs: by id, and by idempotency key so a repeated submission finds the
//! job it created the first time. Jobs are written only through the writer
//! (`WriteSet::put_local_jobs`), like every other record; this module reads them.

use redb::{ReadableDatabase, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::codec::decode;
use super::{Store, StoreError};

pub(super) const JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("local_jobs");
pub(super) const JOBS_BY_KEY: TableDefinition<&str, &str> =
    TableDefinition::new("local_jobs_by_key");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalJobRecord {
    pub job_id: String,
    pub user_id: String,
    pub job_type: String,
    pub payload: serde_json::Value,
    pub idempotency_key: String,
    pub state: crate::jobsystem::JobState,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub(super) fn init(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(JOBS)?;
    tx.open_table(JOBS_BY_KEY)?;
    Ok(())
}

impl Store {
    pub async fn local_job(&self, job_id: String) -> Result<Option<LocalJobRecord>, StoreError> {
        self.blocking(move |db| {
            let tx = db.begin_read()?;
            let jobs = tx.open_table(JOBS)?;
            jobs.get(job_id.as_str())?
                .map(|b| decode(b.value()))
                .transpose()
        })
        .await
    }

    /// Jobs in id order (ids are UUIDv7, so creation order), at most `limit`, after `after`;
    /// only `user`'s when given.
    pub async fn local_jobs(
        &self,
        user: Option<String>,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<LocalJobRecord>, StoreError> {
        self.blocking(move |db| {
            let tx = db.begin_read()?;
            let jobs = tx.open_table(JOBS)?;
            let mut out = Vec::new();
            let range = match &after {
                Some(a) => jobs.range::<&str>((
                    std::ops::Bound::Excluded(a.as_str()),
                    std::ops::Bound::Unbounded,
                ))?,
                None => jobs.range::<&str>(..)?,
            };
            for entry in range {
                if out.len() >= limit {
                    break;
                }
                let (_, v) = entry?;
                let job: LocalJobRecord = decode(v.value())?;
                if user.as_ref().is_none_or(|u| *u == job.user_id) {
                    out.push(job);
                }
            }
            Ok(out)
        })
        .await
    }
}
