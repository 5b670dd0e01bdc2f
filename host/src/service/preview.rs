//! Previewing timing that is not saved: the runs a create with this rule (or time) and zone
//! would plan, checked exactly as a create checks them (`Scheduler::check_timing`), with
//! nothing else needed and nothing stored. The schedule form's live preview and API clients
//! use it. And a saved schedule's planned runs (`/next`, the schedule page).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::draft::TimingParts;
use super::{Scheduler, ServiceError};
use crate::model::timing::Timing;
use crate::model::{Schedule, ScheduleStatus, ScheduleType};
use crate::recurrence::{DstPolicy, FieldError, RecurrenceRule};

/// A preview request as the API parsed it; `failed` names the fields it already reported.
#[derive(Debug, Default, Clone)]
pub struct PreviewParts {
    pub scheduled_at: Option<DateTime<Utc>>,
    pub recurrence_rule: Option<RecurrenceRule>,
    pub dst_policy: Option<DstPolicy>,
    pub timezone: Option<Tz>,
    pub failed: HashSet<String>,
}

impl Scheduler {
    /// The planned runs of `s` from its `next_run_at`, at most `n`, none after `until`. A
    /// paused, completed or cancelled schedule has none; `max_runs` caps what is left.
    pub fn planned(
        &self,
        s: &Schedule,
        n: usize,
        until: Option<DateTime<Utc>>,
    ) -> Vec<DateTime<Utc>> {
        if s.status() != ScheduleStatus::Active {
            return Vec::new();
        }
        let left = s.runs_left().map_or(usize::MAX, |n| n as usize);
        let Ok(timing) = Timing::of(s, self.calendars()) else {
            return Vec::new();
        };
        timing
            .from_first(s.next_run_at())
            .take_while(|t| until.is_none_or(|u| *t <= u))
            .take(n.min(left))
            .collect()
    }

    /// The first `count` runs the timing in `parts` would plan from now (a once time is one
    /// run), or every field error.
    pub fn preview(
        &self,
        parts: PreviewParts,
        count: usize,
    ) -> Result<Vec<DateTime<Utc>>, ServiceError> {
        let now = self.clock.now();
        let mut errors = Vec::new();
        let given = |f: &str, present: bool| present || parts.failed.contains(f);
        let schedule_type = match (
            given("scheduled_at", parts.scheduled_at.is_some()),
            given("recurrence_rule", parts.recurrence_rule.is_some()),
        ) {
            (true, true) => {
                errors.push(FieldError::new(
                    "scheduled_at",
                    "give either scheduled_at or recurrence_rule, not both",
                ));
                None
            }
            (true, false) => Some(ScheduleType::Once),
            (false, true) => Some(ScheduleType::Recurring),
            (false, false) => {
                errors.push(FieldError::new(
                    "recurrence_rule",
                    "is required (or scheduled_at)",
                ));
                None
            }
        };
        let tz = parts.timezone.unwrap_or(chrono_tz::UTC);
        let timing = TimingParts {
            schedule_type,
            scheduled_at: parts.scheduled_at,
            rule: parts.recurrence_rule,
            dst_policy: parts.dst_policy,
            tz,
        };
        let kind = self.check_timing(timing, &parts.failed, now, &mut errors);
        if !errors.is_empty() || !parts.failed.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let Some(kind) = kind else {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "",
                "incomplete request",
            )]));
        };
        let timing = Timing::of_kind(&kind, tz, &self.calendars)
            .map_err(|e| ServiceError::Invalid(e.field_errors("recurrence_rule")))?;
        // As a create plans it.
        Ok(timing
            .from_first(timing.first_run(now))
            .take(count)
            .collect())
    }
}
