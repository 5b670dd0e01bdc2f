//! Builders of plain records for tests and benchmarks: one place that knows every field, so a
//! test states only what it is about.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Execution, ExecutionStatus, Lifecycle, MissedPolicy, OverlapPolicy, Priority, Schedule,
    ScheduleKind, ScheduleStatus, UserId,
};
use crate::recurrence::RecurrenceRule;

/// An active once schedule of `user`'s, an `export` due at `at` in UTC, revision 1, created
/// at `at`; change what the test is about.
pub fn schedule(user: UserId, at: DateTime<Utc>) -> ScheduleBuilder {
    ScheduleBuilder(Schedule {
        id: Uuid::now_v7(),
        user_id: user,
        name: "s".into(),
        description: None,
        job_type: "export".into(),
        job_config: json!({"format": "mp4"}),
        kind: ScheduleKind::Once { at },
        timezone: chrono_tz::UTC,
        priority: Priority::Normal,
        max_runs: None,
        missed_policy: MissedPolicy::Skip,
        overlap_policy: OverlapPolicy::Skip,
        series_id: None,
        episode: None,
        created_at: at,
        stats: Default::default(),
        life: Lifecycle {
            next_run_at: Some(at),
            ..Lifecycle::new(at)
        },
    })
}

pub struct ScheduleBuilder(Schedule);

impl ScheduleBuilder {
    pub fn build(self) -> Schedule {
        self.0
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.0.name = name.into();
        self
    }

    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.0.description = Some(d.into());
        self
    }

    pub fn job(mut self, job_type: &str, config: Value) -> Self {
        self.0.job_type = job_type.into();
        self.0.job_config = config;
        self
    }

    /// Recurring on `rule` in `tz`; `next_run_at` stays as it was (give it with `next_run`).
    pub fn recurring(mut self, rule: RecurrenceRule, tz: Tz) -> Self {
        self.0.kind = ScheduleKind::Recurring { rule };
        self.0.timezone = tz;
        self
    }

    pub fn timezone(mut self, tz: Tz) -> Self {
        self.0.timezone = tz;
        self
    }

    pub fn status(mut self, status: ScheduleStatus) -> Self {
        self.0.life.status = status;
        self
    }

    pub fn priority(mut self, priority: Priority) -> Self {
        self.0.priority = priority;
        self
    }

    pub fn next_run(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.0.life.next_run_at = at;
        self
    }

    pub fn max_runs(mut self, n: u32) -> Self {
        self.0.max_runs = Some(n);
        self
    }

    pub fn policies(mut self, missed: MissedPolicy, overlap: OverlapPolicy) -> Self {
        self.0.missed_policy = missed;
        self.0.overlap_policy = overlap;
        self
    }

    pub fn created(mut self, at: DateTime<Utc>) -> Self {
        self.0.created_at = at;
        self.0.life.updated_at = at;
        self
    }

    pub fn revision(mut self, revision: u64) -> Self {
        self.0.life.revision = revision;
        self
    }

    /// `n` runs recorded, the last at `last`.
    pub fn runs(mut self, n: u32, last: Option<DateTime<Utc>>) -> Self {
        self.0.life.run_count = n;
        self.0.life.last_run_at = last;
        self
    }

    /// Paused at `at` (status and pause time together, as `Schedule::pause` leaves them).
    pub fn paused(mut self, at: DateTime<Utc>) -> Self {
        self.0.life.status = ScheduleStatus::Paused;
        self.0.life.paused_at = Some(at);
        self
    }

    /// Last written at `at`.
    pub fn updated(mut self, at: DateTime<Utc>) -> Self {
        self.0.life.updated_at = at;
        self
    }

    pub fn id(mut self, id: Uuid) -> Self {
        self.0.id = id;
        self
    }
}

/// An execution of `s` for `scheduled_for` in `status`, created then (not manual, counting).
pub fn execution(s: &Schedule, scheduled_for: DateTime<Utc>, status: ExecutionStatus) -> Execution {
    let mut e = Execution::pending(s, scheduled_for, scheduled_for, false, true);
    e.status = status;
    e
}
