//! The recurrence rule as the API writes it in JSON, and nothing else: its types and their
//! serde shape. The typed value says nothing about validity (serde accepts `interval: 0`);
//! [`super::validate`] checks it and [`super::Recurrence`] refuses an invalid one.
//!
//! Extensions beyond the brief, so that RFC 5545 text maps onto JSON and back unchanged:
//! ordinal weekdays (`{"day":1,"ordinal":-1}` = BYDAY=-1MO), `hours`/`minutes`
//! (BYHOUR/BYMINUTE), `set_positions` (BYSETPOS), `week_start` (WKST), `days_of_year`
//! (BYYEARDAY), `weeks_of_year` (BYWEEKNO), `until` (UNTIL to the minute), `extra_dates`
//! (RDATE), `additional_rules` (more RRULE lines), `{"at", "action": "skip"}` exceptions
//! (EXDATE with a time), and a per-rule `dst_policy`. Every one defaults to empty and is
//! left out when empty, so a stored rule reads and writes back byte for byte as before.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Frequency {
    pub const ALL: [Frequency; 6] = [
        Frequency::Minutely,
        Frequency::Hourly,
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Yearly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Minutely => "minutely",
            Frequency::Hourly => "hourly",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Yearly => "yearly",
        }
    }

    pub fn parse(s: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Minutely and hourly step in elapsed time; the others follow the wall clock.
    pub fn is_sub_daily(self) -> bool {
        matches!(self, Frequency::Minutely | Frequency::Hourly)
    }
}

/// A wall-clock time with minute precision, written `"HH:MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeOfDay {
    pub hour: u8,
    pub minute: u8,
}

impl TimeOfDay {
    pub fn new(hour: u8, minute: u8) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60).then_some(TimeOfDay { hour, minute })
    }

    /// Strict `HH:MM` (two digits each), the brief's format.
    pub fn parse(s: &str) -> Option<TimeOfDay> {
        let b = s.as_bytes();
        if b.len() != 5
            || b[2] != b':'
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 2 || c.is_ascii_digit())
        {
            return None;
        }
        let hour = (b[0] - b'0') * 10 + (b[1] - b'0');
        let minute = (b[3] - b'0') * 10 + (b[4] - b'0');
        TimeOfDay::new(hour, minute)
    }

    pub fn to_naive(self) -> NaiveTime {
        NaiveTime::from_hms_opt(u32::from(self.hour), u32::from(self.minute), 0)
            .unwrap_or(NaiveTime::MIN)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TimeOfDay::parse(&s).ok_or_else(|| D::Error::custom("expected a time \"HH:MM\""))
    }
}

/// A weekday (1 = Monday … 7 = Sunday), optionally the n-th of the month or year
/// (`ordinal` 1..=53 from the start, -1..=-53 from the end), as RRULE's `BYDAY=-1FR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeekdaySpec {
    pub day: u8,
    pub ordinal: Option<i8>,
}

impl WeekdaySpec {
    pub fn every(day: u8) -> WeekdaySpec {
        WeekdaySpec { day, ordinal: None }
    }

    pub fn nth(ordinal: i8, day: u8) -> WeekdaySpec {
        WeekdaySpec {
            day,
            ordinal: Some(ordinal),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrdinalDay {
    day: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ordinal: Option<i8>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawWeekday {
    Plain(u8),
    Object(OrdinalDay),
}

// A plain weekday stays a plain number so the brief's shape (`[1,3,5]`) round-trips.
impl Serialize for WeekdaySpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.ordinal {
            None => s.serialize_u8(self.day),
            Some(ordinal) => OrdinalDay {
                day: self.day,
                ordinal: Some(ordinal),
            }
            .serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for WeekdaySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match RawWeekday::deserialize(d)? {
            RawWeekday::Plain(day) => WeekdaySpec { day, ordinal: None },
            RawWeekday::Object(o) => WeekdaySpec {
                day: o.day,
                ordinal: o.ordinal,
            },
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayAction {
    /// No run on a holiday of the calendar.
    Skip,
    /// A run falling on a holiday moves to the next date that is neither a weekend day
    /// nor a holiday, at the same wall-clock time.
    NextBusinessDay,
}

/// One entry of `exceptions`. JSON: a bare date `"2026-12-25"` skips it; objects give the
/// other kinds (DESIGN.md, "Shapes the brief leaves open").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Exception {
    Skip(NaiveDate),
    /// Only the run at this local date-time (EXDATE with a time): the instant it denotes
    /// with the default DST rules; the day's other runs stay.
    SkipAt(NaiveDateTime),
    /// Every run of local date `date` is replaced by one run at local `to`.
    Reschedule {
        date: NaiveDate,
        to: NaiveDateTime,
    },
    Holidays {
        calendar: String,
        action: HolidayAction,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    holiday_calendar: Option<String>,
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawExceptionEntry {
    Date(NaiveDate),
    Object(RawException),
}

/// `"2026-12-23T10:00"` (seconds accepted when `:00`), the local date-time of a reschedule.
pub fn parse_local_datetime(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .filter(|dt| dt.second() == 0 && dt.nanosecond() == 0)
}

pub fn format_local_datetime(dt: NaiveDateTime) -> String {
    dt.format("%Y-%m-%dT%H:%M").to_string()
}

impl Serialize for Exception {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Exception::Skip(date) => date.serialize(s),
            Exception::SkipAt(at) => RawException {
                date: None,
                at: Some(format_local_datetime(*at)),
                holiday_calendar: None,
                action: "skip".into(),
                to: None,
            }
            .serialize(s),
            Exception::Reschedule { date, to } => RawException {
                date: Some(*date),
                at: None,
                holiday_calendar: None,
                action: "reschedule".into(),
                to: Some(format_local_datetime(*to)),
            }
            .serialize(s),
            Exception::Holidays { calendar, action } => RawException {
                date: None,
                at: None,
                holiday_calendar: Some(calendar.clone()),
                action: match action {
                    HolidayAction::Skip => "skip".into(),
                    HolidayAction::NextBusinessDay => "next_business_day".into(),
                },
                to: None,
            }
            .serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Exception {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = match RawExceptionEntry::deserialize(d)? {
            RawExceptionEntry::Date(date) => return Ok(Exception::Skip(date)),
            RawExceptionEntry::Object(raw) => raw,
        };
        if let Some(at) = raw.at {
            return match (raw.date, raw.holiday_calendar, raw.action.as_str(), raw.to) {
                (None, None, "skip", None) => parse_local_datetime(&at)
                    .map(Exception::SkipAt)
                    .ok_or_else(|| {
                        D::Error::custom("`at` must be a local date-time \"YYYY-MM-DDTHH:MM\"")
                    }),
                _ => Err(D::Error::custom(
                    "an exception with `at` is {at, action: skip}",
                )),
            };
        }
        match (raw.date, raw.holiday_calendar, raw.action.as_str(), raw.to) {
            (Some(date), None, "skip", None) => Ok(Exception::Skip(date)),
            (Some(date), None, "reschedule", Some(to)) => parse_local_datetime(&to)
                .map(|to| Exception::Reschedule { date, to })
                .ok_or_else(|| {
                    D::Error::custom("`to` must be a local date-time \"YYYY-MM-DDTHH:MM\"")
                }),
            (None, Some(calendar), "skip", None) => Ok(Exception::Holidays {
                calendar,
                action: HolidayAction::Skip,
            }),
            (None, Some(calendar), "next_business_day", None) => Ok(Exception::Holidays {
                calendar,
                action: HolidayAction::NextBusinessDay,
            }),
            _ => Err(D::Error::custom(
                "an exception is a date, {date, action: skip|reschedule, to}, {at, action: skip} or {holiday_calendar, action: skip|next_business_day}",
            )),
        }
    }
}

/// What a daily or longer rule does when its wall time falls in a DST transition. The
/// default is DESIGN.md's rule ("gap: shift forward by the gap; overlap: the earlier
/// instant"); a rule may ask for another per side. JSON: `{"gap": …, "overlap": …}`, each
/// key optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DstPolicy {
    #[serde(skip_serializing_if = "DstGap::is_default")]
    pub gap: DstGap,
    #[serde(skip_serializing_if = "DstOverlap::is_default")]
    pub overlap: DstOverlap,
}

impl DstPolicy {
    pub fn is_default(&self) -> bool {
        *self == DstPolicy::default()
    }
}

/// A local time that does not exist that day (spring forward).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DstGap {
    /// Runs at the same distance past the transition: 02:30 in a 02:00→03:00 gap is 03:30.
    #[default]
    ShiftForward,
    /// No run that day.
    Skip,
}

impl DstGap {
    pub fn is_default(&self) -> bool {
        *self == DstGap::default()
    }
}

/// A local time that happens twice that day (fall back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DstOverlap {
    /// The earlier instant (the pre-transition offset).
    #[default]
    First,
    /// The later instant.
    Last,
    /// Both instants, as two occurrences.
    Both,
}

impl DstOverlap {
    pub fn is_default(&self) -> bool {
        *self == DstOverlap::default()
    }
}

/// The recurrence rule of a recurring schedule, in the API's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceRule {
    pub frequency: Frequency,
    #[serde(default = "one")]
    pub interval: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_of_week: Vec<WeekdaySpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_of_month: Vec<i8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<u8>,
    /// BYHOUR: a filter for minutely/hourly; for daily and longer the hours of each
    /// matching day (with `time_of_day`'s minute unless `minutes` is given).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<u8>,
    /// BYMINUTE: a filter for minutely; for daily and longer the minutes of each hour.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub minutes: Vec<u8>,
    /// BYSETPOS: which of each period's occurrences to keep (1 = first, -1 = last).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_positions: Vec<i16>,
    /// BYYEARDAY: days of the year, 1..=366 from the start, -1..=-366 from the end (yearly
    /// expands them; hourly/minutely are limited to them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_of_year: Vec<i16>,
    /// BYWEEKNO: weeks of the year (yearly only), 1..=53 or -1..=-53; week 1 is the first
    /// week, starting on `week_start`, with at least four days of the year (RFC 5545).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weeks_of_year: Vec<i8>,
    /// WKST, 1 = Monday (the default) … 7 = Sunday; matters for weekly rules with interval
    /// > 1 and for `weeks_of_year`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_start: Option<u8>,
    pub time_of_day: TimeOfDay,
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// RRULE's UNTIL to the minute: the last local date-time a run may have (the earlier
    /// instant of a repeated one). Exclusive with `end_date` and `count`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_local_datetime"
    )]
    pub until: Option<NaiveDateTime>,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Exception>,
    /// RDATE: extra runs at these local date-times (`"YYYY-MM-DDTHH:MM"`), merged with the
    /// rule's own; exceptions apply to them too, `count` and `end_date` do not (RFC 5545).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "local_datetimes"
    )]
    pub extra_dates: Vec<NaiveDateTime>,
    /// More RRULEs: the rule runs at the union of their occurrences and its own, sharing
    /// `start_date`, `time_of_day`, exceptions, extra dates and the DST policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_rules: Vec<AdditionalRule>,
    /// Daily and longer only: what a run in a DST gap or overlap does.
    #[serde(default, skip_serializing_if = "DstPolicy::is_default")]
    pub dst_policy: DstPolicy,
}

/// One more RRULE of a rule: the parts each RRULE line has of its own, with the same JSON
/// names and meaning as the rule's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdditionalRule {
    pub frequency: Frequency,
    #[serde(default = "one")]
    pub interval: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_of_week: Vec<WeekdaySpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_of_month: Vec<i8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub minutes: Vec<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_positions: Vec<i16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_of_year: Vec<i16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weeks_of_year: Vec<i8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_start: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_local_datetime"
    )]
    pub until: Option<NaiveDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl AdditionalRule {
    pub fn new(frequency: Frequency) -> AdditionalRule {
        RecurrenceRule::new(frequency, TimeOfDay { hour: 0, minute: 0 }).pattern()
    }
}

/// `"YYYY-MM-DDTHH:MM"` lists (`extra_dates`).
mod local_datetimes {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[NaiveDateTime], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|d| format_local_datetime(*d)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDateTime>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| {
                parse_local_datetime(s).ok_or_else(|| {
                    D::Error::custom("expected a local date-time \"YYYY-MM-DDTHH:MM\"")
                })
            })
            .collect()
    }
}

/// One optional `"YYYY-MM-DDTHH:MM"` (`until`).
mod optional_local_datetime {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.collect_str(&format_local_datetime(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| {
                parse_local_datetime(&s).ok_or_else(|| {
                    D::Error::custom("expected a local date-time \"YYYY-MM-DDTHH:MM\"")
                })
            })
            .transpose()
    }
}

fn one() -> u32 {
    1
}

impl RecurrenceRule {
    /// The smallest rule: `frequency` at `time_of_day`, everything else left out.
    pub fn new(frequency: Frequency, time_of_day: TimeOfDay) -> RecurrenceRule {
        RecurrenceRule {
            frequency,
            interval: 1,
            days_of_week: Vec::new(),
            days_of_month: Vec::new(),
            months: Vec::new(),
            hours: Vec::new(),
            minutes: Vec::new(),
            set_positions: Vec::new(),
            days_of_year: Vec::new(),
            weeks_of_year: Vec::new(),
            week_start: None,
            time_of_day,
            start_date: None,
            end_date: None,
            until: None,
            count: None,
            exceptions: Vec::new(),
            extra_dates: Vec::new(),
            additional_rules: Vec::new(),
            dst_policy: DstPolicy::default(),
        }
    }

    /// The rule with `pattern`'s per-RRULE parts in place of its own and nothing that
    /// `additional_rules` share or cannot have: what the engine compiles for one of them.
    pub fn with_pattern(&self, pattern: &AdditionalRule) -> RecurrenceRule {
        RecurrenceRule {
            frequency: pattern.frequency,
            interval: pattern.interval,
            days_of_week: pattern.days_of_week.clone(),
            days_of_month: pattern.days_of_month.clone(),
            months: pattern.months.clone(),
            hours: pattern.hours.clone(),
            minutes: pattern.minutes.clone(),
            set_positions: pattern.set_positions.clone(),
            days_of_year: pattern.days_of_year.clone(),
            weeks_of_year: pattern.weeks_of_year.clone(),
            week_start: pattern.week_start,
            end_date: pattern.end_date,
            until: pattern.until,
            count: pattern.count,
            exceptions: Vec::new(),
            extra_dates: Vec::new(),
            additional_rules: Vec::new(),
            ..self.clone()
        }
    }

    /// The per-RRULE parts of this rule, as one of another rule's `additional_rules`.
    pub fn pattern(&self) -> AdditionalRule {
        AdditionalRule {
            frequency: self.frequency,
            interval: self.interval,
            days_of_week: self.days_of_week.clone(),
            days_of_month: self.days_of_month.clone(),
            months: self.months.clone(),
            hours: self.hours.clone(),
            minutes: self.minutes.clone(),
            set_positions: self.set_positions.clone(),
            days_of_year: self.days_of_year.clone(),
            weeks_of_year: self.weeks_of_year.clone(),
            week_start: self.week_start,
            end_date: self.end_date,
            until: self.until,
            count: self.count,
        }
    }

    /// `start_date` left out means the local date on which the schedule is created.
    pub fn with_default_start(mut self, today: NaiveDate) -> RecurrenceRule {
        self.start_date.get_or_insert(today);
        self
    }
}
