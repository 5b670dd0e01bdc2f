//! The local job system's jobs: by id, and by idempotency key so a repeated submission finds the
//! job it created the first time. Jobs are written only through the writer
//! (`WriteSet::put_local_jobs`), like every other record; this module reads them.

use redb::{ReadableDatabase, TableDefinition, WriteTransaction};

use super::codec::decode;
use super::storage::JobRecords;
use super::{Store, StoreError};
use crate::model::LocalJobRecord;

pub(super) const JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("local_jobs");
pub(super) const JOBS_BY_KEY: TableDefinition<&str, &str> =
    TableDefinition::new("local_jobs_by_key");

pub(super) fn init(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(JOBS)?;
    tx.open_table(JOBS_BY_KEY)?;
    Ok(())
}

#[async_trait::async_trait]
impl JobRecords for Store {
    async fn local_job(&self, job_id: String) -> Result<Option<LocalJobRecord>, StoreError> {
        self.blocking(move |db| {
            let tx = db.begin_read()?;
            let jobs = tx.open_table(JOBS)?;
            jobs.get(job_id.as_str())?
                .map(|b| decode(b.value()))
                .transpose()
        })
        .await
    }

    async fn local_jobs(
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
