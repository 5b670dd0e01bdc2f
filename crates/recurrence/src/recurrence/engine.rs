//! The rule's own occurrences (before exceptions), in increasing UTC order from any instant.
//!
//! Daily and longer rules work period by period (a day, a week from `week_start`, a month,
//! a year), counting periods from the one holding `start_date` so `interval` is exact; a
//! search starts at the period holding the instant, never at `start_date` (unless the rule
//! has a `count`, which RFC 5545 counts from the start). Minutely and hourly rules are an
//! arithmetic sequence of instants from the anchor `start_date` + `time_of_day`, filtered by
//! the local date and time (stepped in [`super::steps`]). Every search is bounded: a rule
//! that cannot fire again ends.

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday,
};
use chrono_tz::Tz;

use super::filter::{CYCLE_DAYS, DateFilter, DayParts, days_in_month};
use super::rule::{DstGap, DstOverlap, DstPolicy, Frequency, RecurrenceRule};
use crate::timezone::{LocalMapping, LocalResolver, resolve_local};

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// An instant (UTC seconds) and the UTC offset in force there (seconds east).
pub(crate) type Instant = (i64, i32);

/// Searches that find nothing for this many steps in a row stop: beyond any real rule
/// (the date jumps make sparse rules cheap), a bound for impossible ones.
pub(super) const MAX_BARREN_STEPS: u32 = 200_000;

#[derive(Debug, Clone)]
pub(crate) struct Core {
    pub(crate) tz: Tz,
    pub(super) freq: Frequency,
    pub(super) interval: i64,
    pub(super) start: NaiveDate,
    pub(crate) end: Option<NaiveDate>,
    pub(crate) count: Option<u32>,
    pub(super) filter: DateFilter,
    /// Daily and longer: the wall-clock times of each matching day, as seconds, sorted.
    pub(super) time_secs: Vec<i64>,
    /// Local seconds (wall time read as UTC) of the first run allowed and of the first
    /// moment after `end_date`.
    pub(super) start_secs: i64,
    pub(super) end_secs: i64,
    /// `until` as an instant (the earlier of a repeated one): nothing runs after it, not
    /// even a run a gap shifts past it.
    pub(super) until_at: i64,
    /// Minutely/hourly: allowed local hours and minutes (0 = any).
    pub(super) hour_mask: u32,
    pub(super) minute_mask: u64,
    pub(super) set_positions: Vec<i16>,
    pub(super) week_start: Weekday,
    /// Minutely/hourly: the first step's instant and the step length in seconds.
    pub(super) anchor: i64,
    pub(super) step: i64,
    /// Hourly with `minutes`: each step's runs, as seconds after the step's hour `base +
    /// k * step`; empty for a plain sequence of steps.
    pub(super) expand: Vec<i64>,
    pub(super) base: i64,
    /// Daily and longer: what a wall time in a gap or overlap does.
    pub(super) dst: DstPolicy,
}

impl Core {
    /// `rule` must have passed validation and have a start date.
    pub(crate) fn compile(rule: &RecurrenceRule, start: NaiveDate, tz: Tz) -> Core {
        let tod = rule.time_of_day;
        let hours: Vec<u8> = if rule.hours.is_empty() {
            vec![tod.hour]
        } else {
            rule.hours.clone()
        };
        let minutes: Vec<u8> = if rule.minutes.is_empty() {
            vec![tod.minute]
        } else {
            rule.minutes.clone()
        };
        let mut times: Vec<NaiveTime> = hours
            .iter()
            .flat_map(|h| minutes.iter().map(move |m| (*h, *m)))
            .filter_map(|(h, m)| NaiveTime::from_hms_opt(u32::from(h), u32::from(m), 0))
            .collect();
        times.sort_unstable();
        times.dedup();
        let start_local = start.and_time(tod.to_naive());
        let week_start = match rule.week_start.unwrap_or(1) {
            2 => Weekday::Tue,
            3 => Weekday::Wed,
            4 => Weekday::Thu,
            5 => Weekday::Fri,
            6 => Weekday::Sat,
            7 => Weekday::Sun,
            _ => Weekday::Mon,
        };
        let unit = if rule.frequency == Frequency::Minutely {
            60
        } else {
            3600
        };
        let anchor = resolve_local(&tz, start_local).0.timestamp();
        let mut expand: Vec<i64> = Vec::new();
        if rule.frequency == Frequency::Hourly {
            expand = rule
                .minutes
                .iter()
                .map(|m| i64::from(*m % 60) * 60)
                .collect();
            expand.sort_unstable();
            expand.dedup();
        }
        Core {
            tz,
            freq: rule.frequency,
            interval: i64::from(rule.interval.max(1)),
            start,
            end: rule.end_date.or(rule.until.map(|u| u.date())),
            count: rule.count,
            filter: DateFilter::compile(rule, start),
            time_secs: times
                .iter()
                .map(|t| i64::from(t.num_seconds_from_midnight()))
                .collect(),
            start_secs: start_local.and_utc().timestamp(),
            end_secs: match (rule.end_date, rule.until) {
                (Some(e), _) => e.succ_opt().map_or(i64::MAX, |e| {
                    e.and_time(NaiveTime::MIN).and_utc().timestamp()
                }),
                (None, Some(u)) => u.and_utc().timestamp() + 1,
                (None, None) => i64::MAX,
            },
            until_at: rule
                .until
                .map_or(i64::MAX, |u| resolve_local(&tz, u).0.timestamp()),
            hour_mask: rule.hours.iter().fold(0, |m, h| m | 1 << (h % 24)),
            // Hourly minutes are an expansion, not a filter.
            minute_mask: if expand.is_empty() {
                rule.minutes.iter().fold(0, |m, x| m | 1 << (x % 60))
            } else {
                0
            },
            set_positions: rule.set_positions.clone(),
            week_start,
            anchor,
            step: unit * i64::from(rule.interval.max(1)),
            base: anchor - i64::from(tod.minute) * 60,
            expand,
            dst: rule.dst_policy,
        }
    }

    pub(crate) fn local_of(&self, secs: i64) -> Option<(NaiveDateTime, i32)> {
        let at = DateTime::from_timestamp(secs, 0)?;
        let off = chrono::Offset::fix(&chrono::TimeZone::offset_from_utc_datetime(
            &self.tz,
            &at.naive_utc(),
        ));
        let secs_east = off.local_minus_utc();
        let local = at
            .naive_utc()
            .checked_add_signed(chrono::Duration::seconds(i64::from(secs_east)))?;
        Some((local, secs_east))
    }

    /// Local seconds (wall time read as UTC) of the first run allowed and of the first moment
    /// after `end_date`.
    pub(crate) fn local_bounds(&self) -> (i64, i64) {
        (self.start_secs, self.end_secs)
    }

    /// The rule's wall times as arithmetic sequences `(first, step)` in local seconds, one per
    /// weekday, when it is a daily or weekly rule with one time of day and no date it skips
    /// but by plain weekdays (a daily one only at interval 1), no `set_positions` and no
    /// `count`; `None` otherwise. Exceptions are the caller's to rule out.
    pub(crate) fn wall_sequences(&self) -> Option<Vec<(i64, i64)>> {
        let [tod] = self.time_secs[..] else {
            return None;
        };
        // A DST policy other than the default drops or doubles the runs of a transition day,
        // which the spans' one-run-per-transition reading does not know.
        if self.count.is_some()
            || !self.set_positions.is_empty()
            || !self.dst.is_default()
            || self.until_at != i64::MAX
        {
            return None;
        }
        let weekdays = self.filter.plain_weekdays()?;
        let at = |d: NaiveDate| {
            (i64::from(d.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE) * 86_400 + tod
        };
        let start = self.start;
        match self.freq {
            Frequency::Daily if weekdays == 0 => Some(vec![(at(start), self.interval * 86_400)]),
            // Every day, so each weekday is every seventh from its first on or after the start.
            Frequency::Daily if self.interval == 1 => Some(
                (0..7)
                    .filter_map(|ahead| start.checked_add_days(Days::new(ahead)))
                    .filter(|d| weekdays & (1 << d.weekday().num_days_from_monday()) != 0)
                    .map(|d| (at(d), 7 * 86_400))
                    .collect(),
            ),
            // Periods are weeks from `week_start`, every `interval`-th counted from the start's;
            // the start's own week has only the days from the start on.
            Frequency::Weekly => {
                let step = 7 * self.interval;
                let week = self.week_start_of(start);
                let mut out = Vec::new();
                for wd in 0..7u32 {
                    let Some(day) = week.checked_add_days(Days::new(u64::from(wd))) else {
                        continue;
                    };
                    if weekdays & (1 << day.weekday().num_days_from_monday()) == 0 {
                        continue;
                    }
                    let day = if day < start {
                        day.checked_add_days(Days::new(u64::try_from(step).ok()?))?
                    } else {
                        day
                    };
                    out.push((at(day), step * 86_400));
                }
                Some(out)
            }
            _ => None,
        }
    }

    fn week_start_of(&self, d: NaiveDate) -> NaiveDate {
        let back =
            (7 + d.weekday().num_days_from_monday() - self.week_start.num_days_from_monday()) % 7;
        d - Days::new(u64::from(back))
    }

    /// Index of the period holding `d`, counted from the start's period.
    fn period_of(&self, d: NaiveDate) -> i64 {
        match self.freq {
            Frequency::Weekly => {
                (self.week_start_of(d) - self.week_start_of(self.start)).num_days() / 7
            }
            Frequency::Monthly => {
                i64::from(d.year() - self.start.year()) * 12 + i64::from(d.month())
                    - i64::from(self.start.month())
            }
            Frequency::Yearly => i64::from(d.year() - self.start.year()),
            _ => (d - self.start).num_days(),
        }
    }

    /// First and last date of period `p`.
    fn period_range(&self, p: i64) -> Option<(NaiveDate, NaiveDate)> {
        let p = u64::try_from(p).ok()?;
        match self.freq {
            Frequency::Weekly => {
                let a = self
                    .week_start_of(self.start)
                    .checked_add_days(Days::new(p.checked_mul(7)?))?;
                Some((a, a.checked_add_days(Days::new(6))?))
            }
            Frequency::Monthly => {
                let first = self.start.with_day(1)?;
                let a = first.checked_add_months(Months::new(u32::try_from(p).ok()?))?;
                let b = a.checked_add_months(Months::new(1))?.pred_opt()?;
                Some((a, b))
            }
            Frequency::Yearly => {
                let year = self.start.year().checked_add(i32::try_from(p).ok()?)?;
                Some((
                    NaiveDate::from_ymd_opt(year, 1, 1)?,
                    NaiveDate::from_ymd_opt(year, 12, 31)?,
                ))
            }
            _ => {
                let a = self.start.checked_add_days(Days::new(p))?;
                Some((a, a))
            }
        }
    }

    fn period_days(&self) -> i64 {
        match self.freq {
            Frequency::Weekly => 7,
            Frequency::Monthly => 31,
            Frequency::Yearly => 366,
            _ => 1,
        }
    }

    fn align_up(&self, p: i64) -> i64 {
        if p <= 0 {
            0
        } else {
            (p + self.interval - 1) / self.interval * self.interval
        }
    }

    /// A cursor yielding the occurrences strictly after `after` (UTC seconds).
    pub(crate) fn cursor(&self, after: i64) -> Cursor<'_> {
        let mut c = Cursor {
            core: self,
            resolver: LocalResolver::new(self.tz),
            next_period: 0,
            next_step: 0,
            done: false,
            buf: Vec::new(),
            pos: 0,
            scratch: Vec::new(),
            last: i64::MIN,
            after,
            produced: 0,
        };
        if self.count.is_none() {
            c.seek(after);
        }
        c
    }
}

pub(crate) struct Cursor<'a> {
    pub(super) core: &'a Core,
    resolver: LocalResolver,
    next_period: i64,
    pub(super) next_step: i64,
    pub(super) done: bool,
    pub(super) buf: Vec<Instant>,
    pos: usize,
    scratch: Vec<i64>,
    /// Last instant produced: occurrences strictly increase even where a gap shift makes
    /// two wall times land on one instant.
    last: i64,
    after: i64,
    produced: u32,
}

impl Cursor<'_> {
    /// Jumps to the period or step holding `after`; only for rules without `count`.
    pub(crate) fn seek(&mut self, after: i64) {
        let core = self.core;
        self.buf.clear();
        self.pos = 0;
        self.after = self.after.max(after);
        if core.freq.is_sub_daily() {
            // An expanding step holding `after` may still have runs after it.
            let k = if core.expand.is_empty() {
                (after - core.anchor).div_euclid(core.step) + 1
            } else {
                (after - core.base).div_euclid(core.step)
            };
            self.next_step = self.next_step.max(k);
        } else {
            // Within hours of chrono's end the local time does not exist; the UTC date is
            // as good a place to start.
            let Some(date) = core
                .local_of(after)
                .map(|(l, _)| l.date())
                .or_else(|| DateTime::from_timestamp(after, 0).map(|a| a.date_naive()))
            else {
                return;
            };
            // A day back covers any occurrence whose wall time maps past `after`: a gap
            // shift moves a time forward by an hour or two, or a whole day as Samoa's in
            // 2011 (a longer skip would not be covered).
            match date.pred_opt() {
                // Nothing before the start to skip (and no week arithmetic on dates near
                // chrono's ends, which would overflow).
                Some(probe) if probe > core.start => {
                    let p = core.align_up(core.period_of(probe));
                    self.next_period = self.next_period.max(p);
                }
                _ => {}
            }
        }
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        if self.core.freq.is_sub_daily() {
            self.refill_step()
        } else {
            self.refill_period()
        }
    }

    fn refill_period(&mut self) {
        let core = self.core;
        let horizon = CYCLE_DAYS + core.interval.saturating_mul(core.period_days());
        let mut scan_from: Option<NaiveDate> = None;
        for _ in 0..MAX_BARREN_STEPS {
            let p = self.next_period;
            let Some((a, b)) = core.period_range(p) else {
                break;
            };
            let first = a.max(core.start);
            let origin = *scan_from.get_or_insert(first);
            if core.end.is_some_and(|e| first > e) || (first - origin).num_days() > horizon {
                break;
            }
            let until = core.end.map_or(b, |e| e.min(b)).max(first);
            // Jump straight to the period of the next date the filter allows.
            let limit = core.end.unwrap_or(NaiveDate::MAX).min(
                first
                    .checked_add_days(Days::new(CYCLE_DAYS as u64))
                    .unwrap_or(NaiveDate::MAX),
            );
            let Some(d) = core.filter.next_match(first, limit) else {
                break;
            };
            if d > until {
                self.next_period = core.align_up(core.period_of(d)).max(p + 1);
                self.next_period = core.align_up(self.next_period);
                continue;
            }
            // dateutil and the rrule crate start the first week's set at DTSTART (but take
            // whole months and years); BYSETPOS on a weekly rule agrees with them this way.
            let a = if core.freq == Frequency::Weekly {
                first
            } else {
                a
            };
            self.fill_period(a, b);
            self.next_period = p + core.interval;
            if !self.buf.is_empty() {
                return;
            }
        }
        self.done = true;
    }

    /// Every occurrence of one period: matching dates × times, BYSETPOS over the whole
    /// period (RFC 5545 applies it before DTSTART/UNTIL), then clipped, converted and sorted.
    /// Works on local seconds with the calendar advanced by hand: building a chrono date
    /// per day was most of the cost of an expansion.
    fn fill_period(&mut self, a: NaiveDate, b: NaiveDate) {
        let core = self.core;
        self.scratch.clear();
        let (mut year, mut month, mut day) = (a.year(), a.month(), a.day());
        let mut month_len = days_in_month(year, month);
        let mut weekday = a.weekday().num_days_from_monday();
        let mut ordinal = a.ordinal();
        let mut year_len = if a.leap_year() { 366 } else { 365 };
        let first_day = i64::from(a.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE;
        let days = (b - a).num_days() + 1;
        for epoch_day in first_day..first_day + days {
            if core.filter.month_ok(month)
                && core.filter.parts_match(&DayParts {
                    year,
                    day,
                    weekday,
                    month_len,
                    ordinal,
                    year_len,
                })
            {
                for t in &core.time_secs {
                    self.scratch.push(epoch_day * 86_400 + t);
                }
            }
            weekday = (weekday + 1) % 7;
            ordinal += 1;
            day += 1;
            if day > month_len {
                day = 1;
                month += 1;
                if month > 12 {
                    (year, month, ordinal) = (year + 1, 1, 1);
                    year_len = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
                        366
                    } else {
                        365
                    };
                }
                month_len = days_in_month(year, month);
            }
        }
        if !core.set_positions.is_empty() {
            let n = self.scratch.len() as i64;
            let mut picked: Vec<usize> = core
                .set_positions
                .iter()
                .filter_map(|&pos| {
                    let i = if pos > 0 {
                        i64::from(pos) - 1
                    } else {
                        n + i64::from(pos)
                    };
                    (0..n).contains(&i).then_some(i as usize)
                })
                .collect();
            picked.sort_unstable();
            picked.dedup();
            let chosen: Vec<i64> = picked.into_iter().map(|i| self.scratch[i]).collect();
            self.scratch = chosen;
        }
        for i in 0..self.scratch.len() {
            let local = self.scratch[i];
            if local < core.start_secs || local >= core.end_secs {
                continue;
            }
            self.push_local(local);
        }
        if self.buf.windows(2).any(|w| w[0].0 >= w[1].0) {
            self.buf.sort_unstable_by_key(|x| x.0);
            self.buf.dedup_by_key(|x| x.0);
        }
    }

    /// The instants of local seconds `local` under the rule's DST policy, into `buf`.
    fn push_local(&mut self, local: i64) {
        if self.core.dst.is_default() {
            if let Some(instant) = self.resolver.resolve_secs(local) {
                self.buf.push(instant);
            }
            return;
        }
        match self.resolver.map_secs(local) {
            None => {}
            Some(LocalMapping::Single(at)) => self.buf.push(at),
            Some(LocalMapping::Gap { shifted }) if self.core.dst.gap == DstGap::ShiftForward => {
                self.buf.push(shifted)
            }
            Some(LocalMapping::Gap { .. }) => {}
            Some(LocalMapping::Fold { earlier, later }) => match self.core.dst.overlap {
                DstOverlap::First => self.buf.push(earlier),
                DstOverlap::Last => self.buf.push(later),
                DstOverlap::Both => self.buf.extend([earlier, later]),
            },
        }
    }

    fn refill_step(&mut self) {
        if self.core.expand.is_empty() {
            self.refill_plain_step()
        } else {
            self.refill_expanded_step()
        }
    }
}

impl Iterator for Cursor<'_> {
    type Item = Instant;

    fn next(&mut self) -> Option<Instant> {
        loop {
            if self.core.count.is_some_and(|c| self.produced >= c) {
                return None;
            }
            if self.pos == self.buf.len() {
                if self.done {
                    return None;
                }
                self.refill();
                continue;
            }
            let item = self.buf[self.pos];
            self.pos += 1;
            if item.0 > self.core.until_at {
                self.done = true;
                self.buf.clear();
                self.pos = 0;
                return None;
            }
            if item.0 <= self.last {
                continue;
            }
            self.last = item.0;
            self.produced += 1;
            if item.0 > self.after {
                return Some(item);
            }
        }
    }
}
