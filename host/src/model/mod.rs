//! The domain: schedules, executions, series, their typed enums and the status transitions.
//! No I/O, no HTTP, no storage details. A schedule's lifecycle (pause, resume, cancel, a run
//! recorded, completion settled, a write stamped) is the methods of `Schedule` in
//! `schedule.rs`; executions and their skip reasons are in `execution.rs`; the job system's
//! jobs as sgsched records them in `job.rs`.

// Before the submodules, so that they can declare string enums too.
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

mod execution;
mod feed;
pub mod fixtures;
mod job;
pub mod limits;
mod schedule;
pub mod timing;

pub use execution::{Execution, RunStats};
pub use feed::{Feed, FeedFilter, FeedId};
pub use job::{JobState, LocalJobRecord};
pub use schedule::{Lifecycle, Schedule, ScheduleKind, Series};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub type UserId = Uuid;
pub type ScheduleId = Uuid;
pub type ExecutionId = Uuid;
pub type SeriesId = Uuid;

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
string_enum!(
    /// Why an occurrence was recorded as skipped instead of run: `overlap` (the previous run
    /// was still pending or running, overlap policy `skip`), `missed` (late by more than the
    /// grace window while the scheduler could not run it), `paused` (it fell due while the
    /// schedule was paused).
    SkipReason { Overlap = "overlap", Missed = "missed", Paused = "paused" }
);

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
