//! The date part of a rule compiled to bit masks: which local dates the BYMONTH /
//! BYWEEKNO / BYYEARDAY / BYMONTHDAY / BYDAY parts allow (all of them at once, as
//! dateutil and the rrule crate read RFC 5545), and the next allowed date without walking day by day
//! through months that cannot match (so "February 30" is rejected in bounded time).

use chrono::{Datelike, NaiveDate};

use super::rule::{Frequency, RecurrenceRule};

/// Where an ordinal weekday counts from: `1MO` is the first Monday of the month in a
/// monthly rule (or a yearly one with `months`), of the year otherwise (RFC 5545).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrdinalScope {
    Month,
    Year,
}

#[derive(Debug, Clone)]
pub(crate) struct DateFilter {
    /// Bit m (1..=12) set for an allowed month; 0 allows every month.
    months: u16,
    /// Bit d for day d (1..=31) and for day -d counted from the end.
    mday_pos: u32,
    mday_neg: u32,
    /// Bit 0 = Monday … 6 = Sunday, for plain weekdays.
    wdays: u8,
    /// (ordinal, weekday bit index) pairs.
    ordinals: Vec<(i8, u8)>,
    scope: OrdinalScope,
    /// Bit n for day of the year n (1..=366) and for day -n counted from the end.
    yday_pos: [u64; 6],
    yday_neg: [u64; 6],
    /// Bit n for week n (1..=53) and for week -n counted from the end of its week-year.
    week_pos: u64,
    week_neg: u64,
    /// WKST as 0 = Monday … 6 = Sunday: where `weeks_of_year` weeks begin.
    week_start: u32,
}

fn bit_set(bits: &[u64; 6], n: u32) -> bool {
    bits.get(n as usize / 64)
        .is_some_and(|w| w & (1 << (n % 64)) != 0)
}

fn set_bit(bits: &mut [u64; 6], n: u32) {
    if let Some(w) = bits.get_mut(n as usize / 64) {
        *w |= 1 << (n % 64);
    }
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn year_len(year: i32) -> u32 {
    if is_leap(year) { 366 } else { 365 }
}

/// Ordinal (from 1; 0 or less is in the year before) of the first day of week 1 of a year
/// whose January 1 is weekday `jan1` (0 = Monday): the week from `wkst` holding at least
/// four days of the year.
fn week1_start(jan1: i64, wkst: i64) -> i64 {
    let before = (jan1 - wkst).rem_euclid(7);
    if before <= 3 { 1 - before } else { 8 - before }
}

/// Weeks in the week-year of a year of `len` days starting on weekday `jan1`.
fn weeks_in(jan1: i64, len: i64, wkst: i64) -> i64 {
    let next = week1_start((jan1 + len).rem_euclid(7), wkst) + len;
    (next - week1_start(jan1, wkst)) / 7
}

/// RFC 5545's week number of a day, with the number of weeks of the week-year it is in
/// (which may be the year before or after the calendar year).
pub(crate) fn week_number(year: i32, ordinal: u32, weekday: u32, wkst: u32) -> (i64, i64) {
    let (o, len) = (i64::from(ordinal), i64::from(year_len(year)));
    let jan1 = (i64::from(weekday) - (o - 1)).rem_euclid(7);
    let wkst = i64::from(wkst);
    let first = week1_start(jan1, wkst);
    if o < first {
        let prev_len = i64::from(year_len(year - 1));
        let weeks = weeks_in((jan1 - prev_len).rem_euclid(7), prev_len, wkst);
        return (weeks, weeks);
    }
    let weeks = weeks_in(jan1, len, wkst);
    let week = (o - first) / 7 + 1;
    if week > weeks {
        let next_len = i64::from(year_len(year + 1));
        return (1, weeks_in((jan1 + len).rem_euclid(7), next_len, wkst));
    }
    (week, weeks)
}

/// 400 Gregorian years: the calendar repeats after this, so a date filter with no match in
/// this window has none at all.
pub(crate) const CYCLE_DAYS: i64 = 146_097;

impl DateFilter {
    /// The filter with RFC 5545's defaults taken from the start date: a weekly rule without
    /// days runs on the start's weekday, a monthly one on its day of month, a yearly one on
    /// its month and day.
    pub(crate) fn compile(rule: &RecurrenceRule, start: NaiveDate) -> DateFilter {
        let mut f = DateFilter {
            months: 0,
            mday_pos: 0,
            mday_neg: 0,
            wdays: 0,
            ordinals: Vec::new(),
            scope: if rule.frequency == Frequency::Yearly && rule.months.is_empty() {
                OrdinalScope::Year
            } else {
                OrdinalScope::Month
            },
            yday_pos: [0; 6],
            yday_neg: [0; 6],
            week_pos: 0,
            week_neg: 0,
            week_start: u32::from(rule.week_start.unwrap_or(1).clamp(1, 7) - 1),
        };
        for d in &rule.days_of_year {
            let n = u32::from(d.unsigned_abs()).min(383);
            if *d > 0 {
                set_bit(&mut f.yday_pos, n);
            } else {
                set_bit(&mut f.yday_neg, n);
            }
        }
        for w in &rule.weeks_of_year {
            let n = u32::from(w.unsigned_abs()).min(63);
            if *w > 0 {
                f.week_pos |= 1 << n;
            } else {
                f.week_neg |= 1 << n;
            }
        }
        for m in &rule.months {
            f.months |= 1 << m;
        }
        for d in &rule.days_of_month {
            if *d > 0 {
                f.mday_pos |= 1 << d;
            } else {
                f.mday_neg |= 1 << d.unsigned_abs();
            }
        }
        for w in &rule.days_of_week {
            let bit = w.day.saturating_sub(1).min(6);
            match w.ordinal {
                None => f.wdays |= 1 << bit,
                Some(n) => f.ordinals.push((n, bit)),
            }
        }
        let no_days = rule.days_of_month.is_empty()
            && rule.days_of_week.is_empty()
            && rule.days_of_year.is_empty()
            && rule.weeks_of_year.is_empty();
        match rule.frequency {
            Frequency::Weekly if rule.days_of_week.is_empty() => {
                f.wdays = 1 << start.weekday().num_days_from_monday();
            }
            Frequency::Monthly if no_days => f.mday_pos = 1 << start.day(),
            Frequency::Yearly if no_days => {
                if rule.months.is_empty() {
                    f.months = 1 << start.month();
                }
                f.mday_pos = 1 << start.day();
            }
            _ => {}
        }
        f
    }

    /// The plain weekdays (bit 0 = Monday; 0 = every day) when they are all the filter has.
    pub(crate) fn plain_weekdays(&self) -> Option<u8> {
        (self.months == 0
            && !self.has_mday()
            && self.ordinals.is_empty()
            && !self.has_yday()
            && !self.has_week())
        .then_some(self.wdays)
    }

    fn has_mday(&self) -> bool {
        self.mday_pos | self.mday_neg != 0
    }

    fn has_yday(&self) -> bool {
        self.yday_pos.iter().chain(&self.yday_neg).any(|w| *w != 0)
    }

    fn has_week(&self) -> bool {
        self.week_pos | self.week_neg != 0
    }

    fn has_wday(&self) -> bool {
        self.wdays != 0 || !self.ordinals.is_empty()
    }

    fn month_allowed(&self, month: u32) -> bool {
        self.months == 0 || self.months & (1 << month) != 0
    }

    pub(crate) fn matches(&self, d: NaiveDate) -> bool {
        self.month_allowed(d.month()) && self.day_matches(d, days_in_month(d.year(), d.month()))
    }

    fn day_matches(&self, d: NaiveDate, month_len: u32) -> bool {
        let year_len = if d.leap_year() { 366 } else { 365 };
        let day = DayParts {
            year: d.year(),
            day: d.day(),
            weekday: d.weekday().num_days_from_monday(),
            month_len,
            ordinal: d.ordinal(),
            year_len,
        };
        self.parts_match(&day)
    }

    /// The month is checked by the caller; this is the rest, on precomputed parts so a
    /// period can be scanned without building a date per day.
    pub(crate) fn parts_match(&self, p: &DayParts) -> bool {
        if self.has_mday()
            && self.mday_pos & (1 << p.day) == 0
            && self.mday_neg & (1 << (p.month_len - p.day + 1)) == 0
        {
            return false;
        }
        if self.has_yday()
            && !bit_set(&self.yday_pos, p.ordinal)
            && !bit_set(&self.yday_neg, p.year_len + 1 - p.ordinal)
        {
            return false;
        }
        if self.has_week() {
            let (week, weeks) = week_number(p.year, p.ordinal, p.weekday, self.week_start);
            let back = weeks + 1 - week;
            if self.week_pos & (1 << week) == 0 && self.week_neg & (1 << back) == 0 {
                return false;
            }
        }
        if !self.has_wday() {
            return true;
        }
        if self.wdays & (1 << p.weekday) != 0 {
            return true;
        }
        let (index, len) = match self.scope {
            OrdinalScope::Month => (p.day, p.month_len),
            OrdinalScope::Year => (p.ordinal, p.year_len),
        };
        let nth = ((index - 1) / 7 + 1) as i8;
        let nth_last = -(((len - index) / 7 + 1) as i8);
        let wd = p.weekday as u8;
        self.ordinals
            .iter()
            .any(|&(n, w)| w == wd && (n == nth || n == nth_last))
    }

    pub(crate) fn month_ok(&self, month: u32) -> bool {
        self.month_allowed(month)
    }

    /// The first allowed date in `[from, until]`, skipping whole months the filter rules out.
    pub(crate) fn next_match(&self, from: NaiveDate, until: NaiveDate) -> Option<NaiveDate> {
        let mut d = from;
        while d <= until {
            let (y, m) = (d.year(), d.month());
            let len = days_in_month(y, m);
            if self.month_allowed(m) {
                for day in d.day()..=len {
                    let date = NaiveDate::from_ymd_opt(y, m, day)?;
                    if date > until {
                        return None;
                    }
                    if self.day_matches(date, len) {
                        return Some(date);
                    }
                }
            }
            d = first_of_next_month(y, m)?;
        }
        None
    }
}

/// What the filter needs to know of one day.
pub(crate) struct DayParts {
    pub(crate) year: i32,
    pub(crate) day: u32,
    /// 0 = Monday.
    pub(crate) weekday: u32,
    pub(crate) month_len: u32,
    /// Day of the year, from 1.
    pub(crate) ordinal: u32,
    pub(crate) year_len: u32,
}

pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

pub(crate) fn first_of_next_month(year: i32, month: u32) -> Option<NaiveDate> {
    if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
}
