//! The embedded job system: every job is recorded in the database and finished at once (a dry
//! run), so a fresh install works end to end with no other service.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;

use super::{JobState, JobStatus, JobSystem, JobSystemError, SubmitRequest};
use crate::store::{LocalJobRecord, Store, StoreError, WriteSet, write_with};

/// Jobs this process submitted and has not been asked about yet: a plugin waits on the job it
/// just submitted, and answering from memory saves a store read per execution. Bounded; a job
/// not found here (asked twice, or from before a restart) is read from the store.
const RECENT_CAP: usize = 65_536;

#[derive(Clone)]
pub struct LocalJobSystem {
    store: Store,
    recent: Arc<Mutex<HashMap<String, JobStatus>>>,
}

impl LocalJobSystem {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            recent: Arc::default(),
        }
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, HashMap<String, JobStatus>> {
        self.recent.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl JobSystem for LocalJobSystem {
    async fn submit(&self, req: SubmitRequest) -> Result<String, JobSystemError> {
        let job_id = uuid::Uuid::now_v7().to_string();
        let record = LocalJobRecord {
            result: Some(
                json!({ "dry_run": true, "job_type": req.job_type, "output_url": format!("local://jobs/{job_id}") }),
            ),
            job_id,
            user_id: req.user_id,
            job_type: req.job_type,
            payload: req.payload,
            idempotency_key: req.idempotency_key,
            state: JobState::Succeeded,
            error: None,
            created_at: chrono::Utc::now(),
        };
        // What `wait` will answer for this job, if it is the one recorded (not an earlier job
        // with the same idempotency key).
        let status_of = (
            record.job_id.clone(),
            JobStatus {
                state: record.state,
                result: record.result.clone(),
                error: record.error.clone(),
            },
        );
        // Through the group-commit writer: a dry run of many executions costs one fsync per
        // group, not one per job.
        let id = write_with(&self.store, move |snap| {
            Ok::<_, StoreError>(match snap.local_job_by_key(&record.idempotency_key)? {
                Some(existing) => (WriteSet::default(), existing.job_id),
                None => {
                    let id = record.job_id.clone();
                    (
                        WriteSet {
                            put_local_jobs: vec![record],
                            ..WriteSet::default()
                        },
                        id,
                    )
                }
            })
        })
        .await
        .and_then(|r| r)
        .map_err(|e| JobSystemError::Store(e.to_string()))?;
        if id == status_of.0 {
            let mut recent = self.recent();
            if recent.len() >= RECENT_CAP {
                recent.clear();
            }
            recent.insert(id.clone(), status_of.1);
        }
        Ok(id)
    }

    async fn wait(&self, job_id: &str, _timeout: Duration) -> Result<JobStatus, JobSystemError> {
        if let Some(status) = self.recent().remove(job_id) {
            return Ok(status);
        }
        match self
            .store
            .local_job(job_id.to_string())
            .await
            .map_err(|e| JobSystemError::Store(e.to_string()))?
        {
            Some(j) => Ok(JobStatus {
                state: j.state,
                result: j.result,
                error: j.error,
            }),
            None => Err(JobSystemError::UnknownJob(job_id.to_string())),
        }
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}
