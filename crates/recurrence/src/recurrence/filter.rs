//! The date part of a rule compiled to bit masks: which local dates the BYMONTH /
//! BYMONTHDAY / BYDAY parts allow, and the next allowed date without walking day by day
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
        };
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
        let no_days = rule.days_of_month.is_empty() && rule.days_of_week.is_empty();
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
        (self.months == 0 && !self.has_mday() && self.ordinals.is_empty()).then_some(self.wdays)
    }

    fn has_mday(&self) -> bool {
        self.mday_pos | self.mday_neg != 0
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
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
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
