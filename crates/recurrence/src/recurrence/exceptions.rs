//! Exceptions applied to the rule's occurrences: skipped dates, reschedules, holiday
//! skips and moves to the next business day, merged back into one increasing stream.
//!
//! As RFC 5545's EXDATE, exceptions act after the rule: `count` counts the rule's own
//! occurrences, so a skipped one is not replaced by an extra one at the end. A moved or
//! rescheduled run is final: it is not checked against the exceptions again.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::engine::Instant;
use super::holidays::{HolidayCalendar, MAX_NON_BUSINESS_RUN};
use super::union::{Schedule, UnionCursor};
use crate::timezone::resolve_local;

#[derive(Debug, Clone, Default)]
pub(crate) struct Exceptions {
    skip: Vec<NaiveDate>,
    /// Single runs skipped, as UTC seconds, sorted.
    skip_at: Vec<i64>,
    /// (source date, its replacement run as an instant), sorted by instant.
    reschedules: Vec<(NaiveDate, Instant)>,
    /// (name as the rule gives it, calendar)
    skip_calendars: Vec<(String, HolidayCalendar)>,
    move_calendars: Vec<(String, HolidayCalendar)>,
}

/// The name of the first of `calendars` that has a holiday on `date`.
fn holiday_of(calendars: &[(String, HolidayCalendar)], date: NaiveDate) -> Option<&str> {
    calendars
        .iter()
        .find(|(_, c)| c.is_holiday(date))
        .map(|(name, _)| name.as_str())
}

/// Why an occurrence of the rule does not run at its own time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// An exception date of the rule (`skip`), or the one run it names (`at`).
    ExceptionDate,
    /// A holiday of the named calendar (`skip_holidays`).
    Holiday { calendar: String },
    /// Moved to another time (`reschedule`); the run is at `to` instead.
    Rescheduled { to: DateTime<Utc> },
    /// A holiday of the named calendar moved it to the next business day, at `to`.
    MovedForHoliday { calendar: String, to: DateTime<Utc> },
}

/// What the exceptions do with the rule's occurrence on one date, and why (the calendar
/// names borrowed: the applied stream asks this for every occurrence).
enum Disposition<'a> {
    Keep,
    Drop(Dropped<'a>),
    /// To this date, for a holiday of the named calendar.
    MoveTo(NaiveDate, &'a str),
}

enum Dropped<'a> {
    ExceptionDate,
    /// Replaced by the run at this instant.
    Rescheduled(Instant),
    /// A holiday of the named calendar (skipped, or with no business day close enough).
    Holiday(&'a str),
}

impl Exceptions {
    pub(crate) fn is_empty(&self) -> bool {
        self.skip.is_empty()
            && self.skip_at.is_empty()
            && self.reschedules.is_empty()
            && self.skip_calendars.is_empty()
            && self.move_calendars.is_empty()
    }

    pub(crate) fn add_skip(&mut self, date: NaiveDate) {
        self.skip.push(date);
    }

    /// The run at local `at` in the rule's zone: the instant the default DST rules give, as
    /// RFC 5545 compares EXDATE instants (a run a gap shifted is named by its wall time).
    pub(crate) fn add_skip_at(&mut self, core: &Schedule, at: NaiveDateTime) {
        self.skip_at.push(resolve_local(&core.tz, at).0.timestamp());
    }

    pub(crate) fn add_calendar(
        &mut self,
        name: &str,
        calendar: HolidayCalendar,
        move_to_business_day: bool,
    ) {
        let named = (name.to_string(), calendar);
        if move_to_business_day {
            self.move_calendars.push(named)
        } else {
            self.skip_calendars.push(named)
        }
    }

    /// A reschedule counts only if the rule runs on its source date.
    pub(crate) fn add_reschedule(&mut self, core: &Schedule, date: NaiveDate, to: NaiveDateTime) {
        let day_start = resolve_local(&core.tz, date.and_time(NaiveTime::MIN))
            .0
            .timestamp();
        let first = core.cursor(day_start - 1).next();
        let runs_that_day = first
            .and_then(|(secs, _)| core.local_of(secs))
            .is_some_and(|(l, _)| l.date() == date);
        if runs_that_day {
            let (at, off) = resolve_local(&core.tz, to);
            self.reschedules
                .push((date, (at.timestamp(), off.local_minus_utc())));
        }
    }

    pub(crate) fn finish(&mut self) {
        self.skip.sort_unstable();
        self.skip.dedup();
        self.skip_at.sort_unstable();
        self.skip_at.dedup();
        self.reschedules.sort_by_key(|r| r.1.0);
    }

    /// The disposition of the run at instant `secs`, on local date `date`.
    fn disposition(&self, secs: i64, date: NaiveDate) -> Disposition<'_> {
        if self.skip.binary_search(&date).is_ok() || self.skip_at.binary_search(&secs).is_ok() {
            return Disposition::Drop(Dropped::ExceptionDate);
        }
        if let Some(r) = self.reschedules.iter().find(|r| r.0 == date) {
            return Disposition::Drop(Dropped::Rescheduled(r.1));
        }
        if let Some(name) = holiday_of(&self.skip_calendars, date) {
            return Disposition::Drop(Dropped::Holiday(name));
        }
        if let Some(name) = holiday_of(&self.move_calendars, date) {
            return match self.next_business_day(date) {
                Some(d) => Disposition::MoveTo(d, name),
                None => Disposition::Drop(Dropped::Holiday(name)),
            };
        }
        Disposition::Keep
    }

    /// With several calendars to move by, a business day is one in all of them.
    fn is_business_day(&self, date: NaiveDate) -> bool {
        self.move_calendars
            .iter()
            .all(|(_, c)| c.is_business_day(date))
    }

    fn next_business_day(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut d = date;
        for _ in 0..MAX_NON_BUSINESS_RUN {
            d = d.succ_opt()?;
            if self.is_business_day(d) {
                return Some(d);
            }
        }
        None
    }

    /// Why the rule's occurrence at local `when` (in `core`'s zone) does not run then, or
    /// `None` when it does: the applied stream's own disposition, put into words.
    pub(crate) fn removal(
        &self,
        core: &Schedule,
        secs: i64,
        when: NaiveDateTime,
    ) -> Option<Removal> {
        Some(match self.disposition(secs, when.date()) {
            Disposition::Keep => return None,
            Disposition::Drop(Dropped::ExceptionDate) => Removal::ExceptionDate,
            Disposition::Drop(Dropped::Rescheduled((secs, _))) => Removal::Rescheduled {
                to: DateTime::from_timestamp(secs, 0)?,
            },
            Disposition::Drop(Dropped::Holiday(name)) => Removal::Holiday {
                calendar: name.to_string(),
            },
            Disposition::MoveTo(date, name) => Removal::MovedForHoliday {
                calendar: name.to_string(),
                to: resolve_local(&core.tz, date.and_time(when.time())).0,
            },
        })
    }

    /// Where the rule's cursor must start so that runs moved forward onto or past `date`
    /// are seen: the day after the last business day before it.
    pub(crate) fn rewind_date(&self, date: NaiveDate) -> NaiveDate {
        if self.move_calendars.is_empty() {
            return date;
        }
        let mut d = date;
        for _ in 0..MAX_NON_BUSINESS_RUN {
            let Some(prev) = d.pred_opt() else { break };
            if self.is_business_day(prev) {
                break;
            }
            d = prev;
        }
        d
    }
}

/// The rule's stream with the exceptions applied, strictly increasing, after `after`.
pub(crate) struct Applied<'a> {
    core: &'a Schedule,
    ex: &'a Exceptions,
    base: UnionCursor<'a>,
    peeked: Option<Instant>,
    base_done: bool,
    /// Moved and rescheduled runs waiting for their turn, sorted descending (pop = min).
    pending: Vec<Instant>,
    after: i64,
    last: i64,
}

impl<'a> Applied<'a> {
    pub(crate) fn new(
        core: &'a Schedule,
        ex: &'a Exceptions,
        base: UnionCursor<'a>,
        after: i64,
    ) -> Applied<'a> {
        let mut pending: Vec<Instant> = ex
            .reschedules
            .iter()
            .map(|r| r.1)
            .filter(|i| i.0 > after)
            .collect();
        pending.sort_unstable_by_key(|p| std::cmp::Reverse(p.0));
        Applied {
            core,
            ex,
            base,
            peeked: None,
            base_done: false,
            pending,
            after,
            last: after,
        }
    }

    fn push_pending(&mut self, item: Instant) {
        let at = self.pending.partition_point(|p| p.0 > item.0);
        self.pending.insert(at, item);
    }
}

impl Iterator for Applied<'_> {
    type Item = Instant;

    fn next(&mut self) -> Option<Instant> {
        loop {
            if self.peeked.is_none() && !self.base_done {
                self.peeked = self.base.next();
                self.base_done = self.peeked.is_none();
            }
            let take_pending = match (self.pending.last(), self.peeked) {
                (Some(p), Some(b)) => p.0 <= b.0,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return None,
            };
            let item = if take_pending {
                self.pending.pop()?
            } else {
                let b = self.peeked.take()?;
                let Some((local, _)) = self.core.local_of(b.0) else {
                    continue;
                };
                match self.ex.disposition(b.0, local.date()) {
                    Disposition::Keep => b,
                    Disposition::Drop(_) => continue,
                    Disposition::MoveTo(d, _) => {
                        let (at, off) = resolve_local(&self.core.tz, d.and_time(local.time()));
                        self.push_pending((at.timestamp(), off.local_minus_utc()));
                        continue;
                    }
                }
            };
            if item.0 > self.last && item.0 > self.after {
                self.last = item.0;
                return Some(item);
            }
        }
    }
}
