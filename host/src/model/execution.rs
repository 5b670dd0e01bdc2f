//! One run (or skipped run) of a schedule, the ways one comes to exist, and the counters a
//! schedule keeps over its finished runs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{
    ExecutionId, ExecutionStatus, Priority, Schedule, ScheduleId, SeriesId, SkipReason, UserId,
};

impl SkipReason {
    /// The sentence shown beside the reason (`error_message`).
    pub fn message(self) -> &'static str {
        match self {
            SkipReason::Overlap => {
                "skipped: the previous run was still running (overlap policy skip)"
            }
            SkipReason::Missed => "missed while the scheduler could not run it",
            SkipReason::Paused => "missed while the schedule was paused",
        }
    }
}

/// One run (or skipped run) of a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub id: ExecutionId,
    pub schedule_id: ScheduleId,
    pub user_id: UserId,
    pub job_type: String,
    /// The config as it was when the execution was created: later edits do not change a run.
    pub job_config: Value,
    pub priority: Priority,
    pub scheduled_for: DateTime<Utc>,
    pub status: ExecutionStatus,
    pub is_manual: bool,
    pub counts_toward_max_runs: bool,
    pub attempt: u32,
    /// The node that started the current attempt (its `--node-id`): only it may record the
    /// outcome, so a run another node took over after this one's lease lapsed is not written
    /// twice. Records from before it existed read as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_node: Option<String>,
    pub job_id: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub error_message: Option<String>,
    /// Set exactly when `status` is `skipped`. Records from before it existed read as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<SkipReason>,
    pub result_summary: Option<Value>,
    pub episode: Option<u32>,
    pub series_id: Option<SeriesId>,
    pub created_at: DateTime<Utc>,
}

impl Execution {
    /// A pending run of `s` for `scheduled_for`, with the config it will run.
    pub fn pending(
        s: &Schedule,
        scheduled_for: DateTime<Utc>,
        now: DateTime<Utc>,
        manual: bool,
        counts: bool,
    ) -> Execution {
        Execution {
            id: Uuid::now_v7(),
            schedule_id: s.id,
            user_id: s.user_id,
            job_type: s.job_type.clone(),
            job_config: s.job_config.clone(),
            priority: s.priority,
            scheduled_for,
            status: ExecutionStatus::Pending,
            is_manual: manual,
            counts_toward_max_runs: counts,
            attempt: 0,
            owner_node: None,
            job_id: None,
            started_at: None,
            completed_at: None,
            error_message: None,
            skip_reason: None,
            result_summary: None,
            episode: s.episode,
            series_id: s.series_id,
            created_at: now,
        }
    }

    /// The occurrence of `s` at `scheduled_for`, recorded at `now` as not run, and why.
    pub fn skipped(
        s: &Schedule,
        scheduled_for: DateTime<Utc>,
        now: DateTime<Utc>,
        why: SkipReason,
    ) -> Execution {
        let mut e = Execution::ended(
            s,
            scheduled_for,
            now,
            ExecutionStatus::Skipped,
            why.message().to_string(),
        );
        e.skip_reason = Some(why);
        e
    }

    /// The occurrence of `s` at `scheduled_for`, failed at `now` before it could start.
    pub fn failed(
        s: &Schedule,
        scheduled_for: DateTime<Utc>,
        now: DateTime<Utc>,
        error: String,
    ) -> Execution {
        Execution::ended(s, scheduled_for, now, ExecutionStatus::Failed, error)
    }

    /// An occurrence that ended at `now` in `status` without running; it does not count
    /// toward `max_runs`.
    fn ended(
        s: &Schedule,
        scheduled_for: DateTime<Utc>,
        now: DateTime<Utc>,
        status: ExecutionStatus,
        message: String,
    ) -> Execution {
        let mut e = Execution::pending(s, scheduled_for, now, false, false);
        e.status = status;
        e.completed_at = Some(now);
        e.error_message = Some(message);
        e
    }
}

/// Counters over a schedule's finished executions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    pub completed: u32,
    pub failed: u32,
    pub skipped: u32,
    /// Sum of completed and failed runs' durations.
    pub total_duration_ms: u64,
    /// Failed runs since the last completed one.
    pub failure_streak: u32,
    pub last_error: Option<String>,
}

impl RunStats {
    /// Record one finished execution.
    pub fn record(
        &mut self,
        status: ExecutionStatus,
        duration_ms: Option<i64>,
        error: Option<&str>,
    ) {
        let d = duration_ms.unwrap_or(0).max(0) as u64;
        match status {
            ExecutionStatus::Completed => {
                self.completed += 1;
                self.total_duration_ms += d;
                self.failure_streak = 0;
            }
            ExecutionStatus::Failed => {
                self.failed += 1;
                self.total_duration_ms += d;
                self.failure_streak += 1;
                self.last_error = error.map(|e| e.chars().take(500).collect());
            }
            ExecutionStatus::Skipped => self.skipped += 1,
            _ => {}
        }
    }

    /// Completed over completed + failed, as a percentage; `None` before any finished run.
    pub fn success_rate(&self) -> Option<f64> {
        let n = self.completed + self.failed;
        (n > 0).then(|| 100.0 * f64::from(self.completed) / f64::from(n))
    }

    pub fn average_duration_ms(&self) -> Option<u64> {
        let n = u64::from(self.completed + self.failed);
        (n > 0).then(|| self.total_duration_ms / n)
    }
}
