//! The domain: schedules, executions, series, their typed enums and the status transitions.
//! No I/O, no HTTP, no storage details.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::recurrence::RecurrenceRule;

pub type UserId = Uuid;
pub type ScheduleId = Uuid;
pub type ExecutionId = Uuid;
pub type SeriesId = Uuid;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parse the API's spelling; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted spellings, for error messages.
            pub fn choices() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(ScheduleType { Once = "once", Recurring = "recurring" });
string_enum!(ScheduleStatus { Active = "active", Paused = "paused", Completed = "completed", Cancelled = "cancelled" });
string_enum!(
    /// Declared most urgent first: the derived order is the queue order.
    Priority { Urgent = "urgent", High = "high", Normal = "normal", Low = "low" }
);
string_enum!(MissedPolicy { RunAll = "run_all", RunLatest = "run_latest", Skip = "skip" });
string_enum!(OverlapPolicy { Skip = "skip", Queue = "queue" });
string_enum!(ExecutionStatus {
    Pending = "pending",
    Running = "running",
    Completed = "completed",
    Failed = "failed",
    Skipped = "skipped",
    Cancelled = "cancelled",
});
string_enum!(SeriesStatus { Active = "active", Paused = "paused", Completed = "completed", Cancelled = "cancelled" });

// The enums come from `string_enum!`, which has no place for `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for Priority {
    fn default() -> Self {
        Self::Normal
    }
}

// The enums come from `string_enum!`, which has no place for `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for MissedPolicy {
    fn default() -> Self {
        Self::Skip
    }
}

// The enums come from `string_enum!`, which has no place for `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for OverlapPolicy {
    fn default() -> Self {
        Self::Skip
    }
}

impl Priority {
    /// 0 = urgent … 3 = low: the first component of queue and index keys.
    pub fn rank(self) -> u8 {
        self as u8
    }
}

impl ExecutionStatus {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Skipped | Self::Cancelled
        )
    }
}

/// What a user asks of a schedule's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Pause,
    Resume,
    Cancel,
    Complete,
}

impl StatusAction {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusAction::Pause => "pause",
            StatusAction::Resume => "resume",
            StatusAction::Cancel => "cancel",
            StatusAction::Complete => "complete",
        }
    }
}

/// A transition the status flow forbids; changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a schedule that is {}", action.as_str(), from)]
pub struct TransitionError {
    pub from: ScheduleStatus,
    pub action: StatusAction,
}

impl ScheduleStatus {
    /// active -> paused | cancelled | completed; paused -> active | cancelled; completed and
    /// cancelled are final.
    pub fn apply(self, action: StatusAction) -> Result<ScheduleStatus, TransitionError> {
        use ScheduleStatus::*;
        use StatusAction::*;
        match (self, action) {
            (Active, Pause) => Ok(Paused),
            (Active, Cancel) | (Paused, Cancel) => Ok(Cancelled),
            (Active, Complete) => Ok(Completed),
            (Paused, Resume) => Ok(Active),
            (from, action) => Err(TransitionError { from, action }),
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, ScheduleStatus::Completed | ScheduleStatus::Cancelled)
    }
}

/// A stored schedule. `next_run_at` is `Some` exactly when the schedule is active or paused
/// and has an occurrence left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub id: ScheduleId,
    pub user_id: UserId,
    pub name: String,
    pub description: Option<String>,
    pub job_type: String,
    pub job_config: Value,
    pub schedule_type: ScheduleType,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub recurrence_rule: Option<RecurrenceRule>,
    /// An IANA zone name, validated when it was stored.
    pub timezone: String,
    pub status: ScheduleStatus,
    pub priority: Priority,
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub run_count: u32,
    pub max_runs: Option<u32>,
    pub missed_policy: MissedPolicy,
    pub overlap_policy: OverlapPolicy,
    pub series_id: Option<SeriesId>,
    pub episode: Option<u32>,
    /// When the schedule was paused, so resume can account for what fell due meanwhile.
    pub paused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Monotonic per-schedule sequence, bumped by every write; creation order ties are broken
    /// by `id` (UUIDv7).
    pub revision: u64,
    /// Outcomes of finished runs, kept with the schedule so reading it needs no history scan.
    #[serde(default)]
    pub stats: RunStats,
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
    pub job_id: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub error_message: Option<String>,
    pub result_summary: Option<Value>,
    pub episode: Option<u32>,
    pub series_id: Option<SeriesId>,
    pub created_at: DateTime<Utc>,
}

/// A content series: episodes generated as schedules on a rule's first occurrences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub id: SeriesId,
    pub user_id: UserId,
    pub name: String,
    pub template_id: Option<Uuid>,
    pub episode_count: u32,
    pub schedule_rule: RecurrenceRule,
    pub timezone: String,
    pub job_type: String,
    pub job_config: Value,
    pub current_episode: u32,
    pub status: SeriesStatus,
    pub schedule_ids: Vec<ScheduleId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_flow_matches_the_brief() {
        use ScheduleStatus::*;
        use StatusAction::*;
        let table = [
            (Active, Pause, Some(Paused)),
            (Active, Resume, None),
            (Active, Cancel, Some(Cancelled)),
            (Active, Complete, Some(Completed)),
            (Paused, Pause, None),
            (Paused, Resume, Some(Active)),
            (Paused, Cancel, Some(Cancelled)),
            (Paused, Complete, None),
            (Completed, Pause, None),
            (Completed, Resume, None),
            (Completed, Cancel, None),
            (Cancelled, Pause, None),
            (Cancelled, Resume, None),
            (Cancelled, Cancel, None),
        ];
        for (from, action, to) in table {
            assert_eq!(from.apply(action).ok(), to, "{from} {action:?}");
        }
    }

    #[test]
    fn priority_order_is_queue_order() {
        let mut v = vec![
            Priority::Low,
            Priority::Urgent,
            Priority::Normal,
            Priority::High,
        ];
        v.sort();
        assert_eq!(
            v,
            [
                Priority::Urgent,
                Priority::High,
                Priority::Normal,
                Priority::Low
            ]
        );
        assert_eq!(Priority::parse("urgent"), Some(Priority::Urgent));
        assert_eq!(Priority::parse("URGENT"), None);
    }
}
