//! The embedded job system: every job is recorded in the database and finished at once (a dry
//! run), so a fresh install works end to end with no other service.
//!
//! A job a run submits on its first attempt under a key made from its execution id (the id
//! itself, or `{id}:...`) is not written at once: the dispatcher takes it
//! (`JobSystem::take_deferred`) and commits it in the transaction that records the run's
//! outcome, which saves a durable write per run. No earlier job can hold such a key (a first
//! attempt has never been dispatched before), and a crash before that commit loses the job
//! together with the outcome, so recovery's re-dispatch makes it exactly once. Any other key is
//! checked against the stored jobs and written at once, as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;

use super::{JobState, JobStatus, JobSystem, JobSystemError, SubmitRequest};
use crate::model::LocalJobRecord;
use crate::store::{Storage, StoreError, WriteSet, write_with};

/// Jobs this process submitted and has not been asked about yet: a plugin waits on the job it
/// just submitted, and answering from memory saves a store read per execution. Bounded; a job
/// not found here (asked twice, or from before a restart) is read from the store.
const RECENT_CAP: usize = 65_536;

/// What `wait` answers for a recorded job.
fn status(j: &LocalJobRecord) -> JobStatus {
    JobStatus {
        state: j.state,
        result: j.result.clone(),
        error: j.error.clone(),
    }
}

#[derive(Clone)]
pub struct LocalJobSystem {
    store: Arc<dyn Storage>,
    recent: Arc<Mutex<HashMap<String, JobStatus>>>,
    /// Jobs waiting for their run's outcome to be committed, by execution id.
    deferred: Arc<Mutex<HashMap<String, Vec<LocalJobRecord>>>>,
}

impl LocalJobSystem {
    pub fn new(store: Arc<dyn Storage>) -> Self {
        Self {
            store,
            recent: Arc::default(),
            deferred: Arc::default(),
        }
    }

    fn deferred(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<LocalJobRecord>>> {
        self.deferred.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keep `record` for its run's outcome, unless the run already submitted under its key:
    /// then that job's id, as the idempotency key promises.
    fn defer(&self, execution_id: String, record: LocalJobRecord) -> String {
        let mut deferred = self.deferred();
        let jobs = deferred.entry(execution_id).or_default();
        if let Some(same) = jobs
            .iter()
            .find(|j| j.idempotency_key == record.idempotency_key)
        {
            return same.job_id.clone();
        }
        let id = record.job_id.clone();
        jobs.push(record);
        id
    }

    fn remember(&self, id: &str, status: JobStatus) {
        let mut recent = self.recent();
        if recent.len() >= RECENT_CAP {
            recent.clear();
        }
        recent.insert(id.to_string(), status);
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
        let status_of = (record.job_id.clone(), status(&record));
        let key = record.idempotency_key.as_str();
        let own_key = key == req.execution_id
            || key
                .strip_prefix(req.execution_id.as_str())
                .is_some_and(|rest| rest.starts_with(':'));
        if req.attempt == 1 && own_key {
            let id = self.defer(req.execution_id, record);
            if id == status_of.0 {
                self.remember(&id, status_of.1);
            }
            return Ok(id);
        }
        // Through the group-commit writer: a dry run of many executions costs one fsync per
        // group, not one per job.
        let id = write_with(&*self.store, move |snap| {
            Ok::<_, StoreError>(match snap.local_job_by_key(&record.idempotency_key)? {
                Some(existing) => (WriteSet::default(), existing.job_id),
                None => {
                    let id = record.job_id.clone();
                    (
                        WriteSet {
                            put_local_jobs: vec![record.clone()],
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
            self.remember(&id, status_of.1);
        }
        Ok(id)
    }

    async fn wait(&self, job_id: &str, _timeout: Duration) -> Result<JobStatus, JobSystemError> {
        if let Some(status) = self.recent().remove(job_id) {
            return Ok(status);
        }
        // Forgotten from `recent` (it was full) before its run's outcome was committed.
        let deferred = self
            .deferred()
            .values()
            .flatten()
            .find(|j| j.job_id == job_id)
            .map(status);
        if let Some(status) = deferred {
            return Ok(status);
        }
        match self
            .store
            .local_job(job_id.to_string())
            .await
            .map_err(|e| JobSystemError::Store(e.to_string()))?
        {
            Some(j) => Ok(status(&j)),
            None => Err(JobSystemError::UnknownJob(job_id.to_string())),
        }
    }

    fn kind(&self) -> &'static str {
        "local"
    }

    fn take_deferred(&self, execution_id: &str) -> Vec<LocalJobRecord> {
        self.deferred().remove(execution_id).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::WriteSet;

    fn request(key: &str, execution_id: &str, attempt: u32) -> SubmitRequest {
        SubmitRequest {
            job_type: "export".into(),
            payload: json!({"n": 1}),
            idempotency_key: key.into(),
            user_id: "u".into(),
            execution_id: execution_id.into(),
            attempt,
        }
    }

    async fn stored(jobs: &LocalJobSystem, id: &str) -> Option<LocalJobRecord> {
        jobs.store.local_job(id.to_string()).await.unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_first_attempts_own_keys_wait_for_the_outcome_commit() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = LocalJobSystem::new(crate::store::open_embedded(dir.path()).unwrap());
        let a = jobs.submit(request("e1", "e1", 1)).await.unwrap();
        assert_eq!(jobs.submit(request("e1", "e1", 1)).await.unwrap(), a);
        let b = jobs.submit(request("e1:2", "e1", 1)).await.unwrap();
        assert_ne!(a, b);
        // `e10` only starts like `e1`: its own execution's job, not one of e1's.
        let other = jobs.submit(request("e10", "e10", 1)).await.unwrap();
        assert_eq!(stored(&jobs, &a).await, None, "not written yet");
        assert_eq!(
            jobs.wait(&b, Duration::ZERO).await.unwrap().state,
            JobState::Succeeded
        );
        // Forgotten from `recent`: still answered while it waits for its commit.
        jobs.recent().clear();
        assert_eq!(
            jobs.wait(&a, Duration::ZERO).await.unwrap().state,
            JobState::Succeeded
        );

        let taken = jobs.take_deferred("e1");
        let ids: Vec<&str> = taken.iter().map(|j| j.job_id.as_str()).collect();
        assert_eq!(ids, [a.as_str(), b.as_str()]);
        assert!(jobs.take_deferred("e1").is_empty(), "taken once");
        jobs.store
            .write(Box::new(move |_| {
                Ok(WriteSet {
                    put_local_jobs: taken.clone(),
                    ..WriteSet::default()
                })
            }))
            .await
            .unwrap();
        assert_eq!(stored(&jobs, &a).await.unwrap().idempotency_key, "e1");
        assert_eq!(stored(&jobs, &b).await.unwrap().idempotency_key, "e1:2");
        assert_eq!(jobs.take_deferred("e10").len(), 1);
        assert_eq!(stored(&jobs, &other).await, None);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn re_dispatches_and_foreign_keys_are_written_at_once_and_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = LocalJobSystem::new(crate::store::open_embedded(dir.path()).unwrap());
        // A re-dispatch may follow a job written by an older build at submit time.
        let first = jobs.submit(request("e2", "e2", 2)).await.unwrap();
        assert!(stored(&jobs, &first).await.is_some());
        assert_eq!(jobs.submit(request("e2", "e2", 3)).await.unwrap(), first);
        // A key shared by the runs of different executions.
        let shared = jobs.submit(request("daily", "e3", 1)).await.unwrap();
        assert!(stored(&jobs, &shared).await.is_some());
        assert_eq!(
            jobs.submit(request("daily", "e4", 1)).await.unwrap(),
            shared
        );
        assert!(jobs.take_deferred("e2").is_empty());
        assert!(jobs.take_deferred("e3").is_empty());
    }
}
