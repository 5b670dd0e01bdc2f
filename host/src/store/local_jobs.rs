//! The local job system's jobs: by id, and by idempotency key so a repeated submission finds the
//! job it created the first time.

use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
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
    /// Insert `job` unless a job with its idempotency key exists; answer the job that is stored.
    pub async fn insert_local_job(
        &self,
        job: LocalJobRecord,
    ) -> Result<LocalJobRecord, StoreError> {
        self.blocking(move |db| {
            let mut tx = db.begin_write()?;
            // Like the writer's commits, so a crash never costs a full repair scan on open.
            tx.set_quick_repair(true);
            let stored = {
                let mut by_key = tx.open_table(JOBS_BY_KEY)?;
                let mut jobs = tx.open_table(JOBS)?;
                let existing = by_key
                    .get(job.idempotency_key.as_str())?
                    .map(|id| id.value().to_string());
                match existing {
                    Some(id) => match jobs.get(id.as_str())? {
                        Some(bytes) => decode(bytes.value())?,
                        None => {
                            return Err(StoreError::Corrupt(format!(
                                "index points at missing job {id}"
                            )));
                        }
                    },
                    None => {
                        by_key.insert(job.idempotency_key.as_str(), job.job_id.as_str())?;
                        jobs.insert(job.job_id.as_str(), encode(&job).as_slice())?;
                        job
                    }
                }
            };
            tx.commit()?;
            Ok(stored)
        })
        .await
    }

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
