//! When a schedule runs next, and which of its occurrences fell due in a window: the bridge
//! between a stored schedule and the recurrence engine.

use chrono::{DateTime, Utc};

use crate::model::{Schedule, ScheduleKind};
use crate::recurrence::{HolidayCalendars, Recurrence, RuleError};

/// The compiled timing of one schedule.
pub enum Timing {
    Once(DateTime<Utc>),
    Recurring(Box<Recurrence>),
}

impl Timing {
    /// Stored schedules were validated when written, so a failure here means the rule engine
    /// changed under them; the caller reports it rather than guessing.
    pub fn of(schedule: &Schedule, calendars: &HolidayCalendars) -> Result<Timing, RuleError> {
        Self::of_kind(&schedule.kind, schedule.timezone, calendars)
    }

    /// The timing of `kind` in `tz`, for a schedule or one not yet made (a preview).
    pub fn of_kind(
        kind: &ScheduleKind,
        tz: chrono_tz::Tz,
        calendars: &HolidayCalendars,
    ) -> Result<Timing, RuleError> {
        match kind {
            ScheduleKind::Once { at } => Ok(Timing::Once(*at)),
            ScheduleKind::Recurring { rule } => Ok(Timing::Recurring(Box::new(Recurrence::new(
                rule, tz, calendars,
            )?))),
        }
    }

    /// The first occurrence strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Timing::Once(at) => (*at > after).then_some(*at),
            Timing::Recurring(r) => r.next_after(after).map(|o| o.at),
        }
    }

    /// The first occurrence at or after `from`.
    pub fn next_from(&self, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.next_after(from - chrono::Duration::seconds(1))
            .filter(|t| *t >= from)
            .or_else(|| self.next_after(from))
    }

    /// Occurrences in `[from, to]`, at most `limit`, and whether more were left out.
    pub fn between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> (Vec<DateTime<Utc>>, bool) {
        let mut out = Vec::new();
        let mut cursor = self.next_from(from);
        while let Some(t) = cursor {
            if t > to {
                return (out, false);
            }
            if out.len() == limit {
                return (out, true);
            }
            out.push(t);
            cursor = self.next_after(t);
        }
        (out, false)
    }
}
