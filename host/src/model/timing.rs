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

    /// The first run of a schedule that has not run yet, planned at `now`: a once time as
    /// given (possibly just past: it is then due at once), a rule's first occurrence after now.
    pub fn first_run(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Timing::Once(at) => Some(*at),
            t => t.next_after(now),
        }
    }

    /// `first` and every occurrence after it, in order.
    pub fn from_first(
        &self,
        first: Option<DateTime<Utc>>,
    ) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        std::iter::successors(first, |t| self.next_after(*t))
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
        let mut inside = self
            .from_first(self.next_from(from))
            .take_while(|t| *t <= to);
        let out = inside.by_ref().take(limit).collect();
        (out, inside.next().is_some())
    }
}
