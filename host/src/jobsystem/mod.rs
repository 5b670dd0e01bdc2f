//! The Story-Genius job system as the plugins reach it through the `job-system` import: the
//! embedded `local` one (the dry-run default) or the `http` one (`--job-system-url`).

mod http;
mod local;

use std::time::Duration;

use serde_json::Value;

pub use http::{HttpJobSystem, HttpJobSystemConfig};
pub use local::LocalJobSystem;

pub use crate::model::{JobState, LocalJobRecord};

/// One submission: what to do, for whom, and the key that makes a repeat harmless.
#[derive(Debug, Clone)]
pub struct SubmitRequest {
    pub job_type: String,
    pub payload: Value,
    pub idempotency_key: String,
    pub user_id: String,
    /// The execution whose run submits this, and that run's attempt (1 = its first dispatch).
    pub execution_id: String,
    pub attempt: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobStatus {
    pub state: JobState,
    pub result: Option<Value>,
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobSystemError {
    #[error("unknown job {0}")]
    UnknownJob(String),
    #[error("job system unreachable: {0}")]
    Unreachable(String),
    #[error("job system answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("job system answered something unexpected: {0}")]
    Protocol(String),
    #[error("job store: {0}")]
    Store(String),
}

/// What the host needs of a job system. Implementations must make `submit` idempotent on
/// `idempotency_key`.
#[async_trait::async_trait]
pub trait JobSystem: Send + Sync + 'static {
    async fn submit(&self, req: SubmitRequest) -> Result<String, JobSystemError>;
    /// Wait up to `timeout` for a final state; answer the current state when the time is up.
    async fn wait(&self, job_id: &str, timeout: Duration) -> Result<JobStatus, JobSystemError>;
    fn kind(&self) -> &'static str;
    /// Records of jobs the execution's run submitted that the job system left for the run's
    /// outcome to commit, in the same transaction (the embedded job system; see `local`).
    fn take_deferred(&self, _execution_id: &str) -> Vec<LocalJobRecord> {
        Vec::new()
    }
}

/// For commands that load plugins but never run them (`plugins list`, `plugins validate`).
pub struct Unavailable;

#[async_trait::async_trait]
impl JobSystem for Unavailable {
    async fn submit(&self, _: SubmitRequest) -> Result<String, JobSystemError> {
        Err(JobSystemError::Unreachable(
            "no job system in this command".into(),
        ))
    }

    async fn wait(&self, _: &str, _: Duration) -> Result<JobStatus, JobSystemError> {
        Err(JobSystemError::Unreachable(
            "no job system in this command".into(),
        ))
    }

    fn kind(&self) -> &'static str {
        "none"
    }
}
