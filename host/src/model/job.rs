//! A job of the Story-Genius job system as sgsched records it: its state, and the record the
//! embedded job system keeps for every submission. Both live in the domain so that storage
//! (which keeps the records) and the job system (which makes them) need not import each other.

use serde::{Deserialize, Serialize};

string_enum!(JobState {
    Queued = "queued",
    Running = "running",
    Succeeded = "succeeded",
    Failed = "failed",
    Cancelled = "cancelled",
});

impl JobState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled
        )
    }
}

/// One job of the embedded job system, found again by its idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalJobRecord {
    pub job_id: String,
    pub user_id: String,
    pub job_type: String,
    pub payload: serde_json::Value,
    pub idempotency_key: String,
    pub state: JobState,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
