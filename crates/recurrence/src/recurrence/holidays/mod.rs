//! Holiday calendars: the built-in national ones (generated offline into `data.rs` by
//! `generate.py`, 2000-2060) and the user-defined ones, looked up by name.
//!
//! The engine never reaches for storage: the caller hands it a [`HolidayCalendars`] holding
//! the built-ins plus whatever user calendars it has loaded. Outside 2000-2060 a built-in
//! calendar knows no holidays (India's lunar holidays only 2001-2035, as the source package).

mod data;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Weekday};

/// Names of the built-in calendars (ISO 3166 country codes).
pub fn builtin_calendar_names() -> Vec<&'static str> {
    data::TABLES.iter().map(|(name, _)| *name).collect()
}

/// A calendar name is short and plain, so it fits paths, URLs and error messages.
pub fn is_valid_calendar_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(data::FIRST_YEAR, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// One calendar, cheap to clone: the compiled rule keeps the ones it names.
#[derive(Debug, Clone)]
pub enum HolidayCalendar {
    Builtin(&'static [u16]),
    User(Arc<[NaiveDate]>),
}

impl HolidayCalendar {
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        match self {
            HolidayCalendar::Builtin(days) => {
                if date.year() < data::FIRST_YEAR || date.year() > data::LAST_YEAR {
                    return false;
                }
                let day = (date - epoch()).num_days();
                u16::try_from(day).is_ok_and(|d| days.binary_search(&d).is_ok())
            }
            HolidayCalendar::User(dates) => dates.binary_search(&date).is_ok(),
        }
    }

    /// Weekends are Saturday and Sunday in every built-in country.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_holiday(date)
    }

    /// The first business day after `date`; `None` past the end of the calendar range
    /// (a user calendar listing every day for years cannot make this loop forever).
    pub fn next_business_day(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut d = date;
        for _ in 0..MAX_NON_BUSINESS_RUN {
            d = d.succ_opt()?;
            if self.is_business_day(d) {
                return Some(d);
            }
        }
        None
    }

    /// The holidays of the calendar in `[from, to]`, for listings.
    pub fn holidays_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        match self {
            HolidayCalendar::Builtin(days) => days
                .iter()
                .map(|d| epoch() + chrono::Days::new(u64::from(*d)))
                .filter(|d| *d >= from && *d <= to)
                .collect(),
            HolidayCalendar::User(dates) => dates
                .iter()
                .copied()
                .filter(|d| *d >= from && *d <= to)
                .collect(),
        }
    }
}

/// How many non-business days in a row we look through before giving up on a move.
pub const MAX_NON_BUSINESS_RUN: usize = 366;

/// The calendars a rule may name: built-ins plus user-defined date lists.
#[derive(Debug, Clone, Default)]
pub struct HolidayCalendars {
    user: HashMap<String, HolidayCalendar>,
}

impl HolidayCalendars {
    /// Only the built-in calendars.
    pub fn builtin() -> HolidayCalendars {
        HolidayCalendars::default()
    }

    /// Adds (or replaces) a user calendar. A user calendar named like a built-in one
    /// shadows it for this lookup, so an operator can correct a country's data.
    pub fn insert(&mut self, name: impl Into<String>, dates: impl IntoIterator<Item = NaiveDate>) {
        let mut dates: Vec<NaiveDate> = dates.into_iter().collect();
        dates.sort_unstable();
        dates.dedup();
        self.user
            .insert(name.into(), HolidayCalendar::User(dates.into()));
    }

    pub fn with(
        mut self,
        name: impl Into<String>,
        dates: impl IntoIterator<Item = NaiveDate>,
    ) -> HolidayCalendars {
        self.insert(name, dates);
        self
    }

    /// Built-in names match case-insensitively (`us` = `US`); user names exactly.
    pub fn get(&self, name: &str) -> Option<HolidayCalendar> {
        if let Some(cal) = self.user.get(name) {
            return Some(cal.clone());
        }
        data::TABLES
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(name))
            .map(|(_, days)| HolidayCalendar::Builtin(days))
    }
}
