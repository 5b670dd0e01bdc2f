//! Reading RFC 5545 text into a rule (writing it is [`super::rrule_write`]'s; the values of
//! RDATE, EXDATE and UNTIL are [`super::rrule_dates`]'s).
//!
//! JSON → RRULE → JSON gives an equal rule. Parts the model cannot hold (SECONDLY, BYSECOND
//! other than 0, seconds in DTSTART, EXRULE, a second DTSTART) are rejected, naming the part
//! and why. Several RRULE lines are the union of their occurrences (the first is the rule,
//! the others its `additional_rules`); RDATE lines are `extra_dates`; EXDATE dates skip a
//! day and date-times one run. Exceptions RFC 5545 has no words for travel as `X-SGSCHED-`
//! properties, as does a DST policy; a rule without `start_date` carries its time in an
//! `X-SGSCHED-TIME` part when BYHOUR/BYMINUTE cannot. An UNTIL that is a date, or the last
//! second of a local day, is the rule's `end_date`; any other is its exact `until`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use chrono_tz::Tz;

use super::rrule_dates::{RawTime, parse_date_list, parse_date_part, parse_until};
use super::rule::{
    DstGap, DstOverlap, DstPolicy, Exception, Frequency, HolidayAction, RecurrenceRule, TimeOfDay,
    WeekdaySpec,
};
use super::validate::{MAX_ADDITIONAL_RULES, MAX_EXTRA_DATES, validate_rule};
use crate::timezone::parse_timezone;

/// What is wrong with RRULE text, and in which part (`BYDAY`, `DTSTART`, `UNTIL` …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct RRuleError {
    pub part: String,
    pub message: String,
}

pub(super) fn err<T>(part: &str, message: impl Into<String>) -> Result<T, RRuleError> {
    Err(RRuleError {
        part: part.to_string(),
        message: message.into(),
    })
}

pub(super) const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

#[derive(Default)]
struct Parts {
    freq: Option<Frequency>,
    interval: Option<u32>,
    count: Option<u32>,
    until: Option<RawTime>,
    months: Vec<u8>,
    mdays: Vec<i8>,
    wdays: Vec<WeekdaySpec>,
    hours: Vec<u8>,
    minutes: Vec<u8>,
    setpos: Vec<i16>,
    ydays: Vec<i16>,
    weeks: Vec<i8>,
    wkst: Option<u8>,
    x_time: Option<TimeOfDay>,
}

impl Parts {
    /// The parts as a rule of their own (no start, time or anything shared yet).
    fn into_rule(self) -> Result<(RecurrenceRule, Option<TimeOfDay>, Option<RawTime>), RRuleError> {
        let Some(frequency) = self.freq else {
            return err("FREQ", "is required");
        };
        let mut rule = RecurrenceRule::new(frequency, TimeOfDay { hour: 0, minute: 0 });
        rule.interval = self.interval.unwrap_or(1);
        rule.count = self.count;
        rule.months = self.months;
        rule.days_of_month = self.mdays;
        rule.days_of_week = self.wdays;
        rule.set_positions = self.setpos;
        rule.days_of_year = self.ydays;
        rule.weeks_of_year = self.weeks;
        rule.week_start = self.wkst;
        rule.hours = self.hours;
        rule.minutes = self.minutes;
        Ok((rule, self.x_time, self.until))
    }
}

/// An exception line in its place among the others, its dates read once the rule's zone
/// and time are known.
enum PendingException {
    Ready(Exception),
    Dates(Vec<RawTime>),
}

/// Parses RRULE text: an optional `DTSTART` line, one or more `RRULE:` lines (or a bare
/// `FREQ=…;…`; several are the union of their occurrences), optional `RDATE`, `EXDATE` and
/// `X-SGSCHED-*` lines. Returns the rule and the zone named by `DTSTART;TZID=` (UTC for a
/// `Z` start, none for a floating one).
pub fn parse_rrule(text: &str) -> Result<(RecurrenceRule, Option<Tz>), RRuleError> {
    let unfolded = text
        .replace("\r\n", "\n")
        .replace("\n ", "")
        .replace("\n\t", "");
    let mut start: Option<(NaiveDateTime, Option<Tz>)> = None;
    let mut rrules: Vec<Parts> = Vec::new();
    let mut pending = Vec::new();
    let mut rdates: Vec<RawTime> = Vec::new();
    let mut dst_policy: Option<DstPolicy> = None;
    for line in unfolded.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let upper = line.to_ascii_uppercase();
        let body = upper
            .strip_prefix("RRULE:")
            .or_else(|| upper.starts_with("FREQ=").then_some(upper.as_str()));
        if upper.starts_with("DTSTART") {
            if start.is_some() {
                return err("DTSTART", "given twice: a rule has one start");
            }
            start = Some(parse_dtstart(line)?);
        } else if let Some(body) = body {
            if rrules.len() > MAX_ADDITIONAL_RULES {
                return err(
                    "RRULE",
                    format!("at most {} RRULE lines", MAX_ADDITIONAL_RULES + 1),
                );
            }
            rrules.push(parse_parts(body)?);
        } else if upper.starts_with("EXRULE") {
            return err(
                "EXRULE",
                "removed from RFC 5545 (it was in RFC 2445); use EXDATE",
            );
        } else if upper.starts_with("RDATE") {
            let room = MAX_EXTRA_DATES - rdates.len();
            rdates.extend(parse_date_list("RDATE", line, room).map_err(|mut e| {
                if e.message.starts_with("too many") {
                    e.message = format!("at most {MAX_EXTRA_DATES} extra dates (RDATE values)");
                }
                e
            })?);
        } else if upper.starts_with("EXDATE") {
            pending.push(PendingException::Dates(parse_date_list(
                "EXDATE",
                line,
                usize::MAX,
            )?));
        } else if let Some(v) = upper.strip_prefix("X-SGSCHED-RESCHEDULE:") {
            let (date, to) = v
                .split_once('=')
                .ok_or(())
                .or_else(|_| err("X-SGSCHED-RESCHEDULE", "expected DATE=DATETIME"))?;
            let to = NaiveDateTime::parse_from_str(to, "%Y%m%dT%H%M%S").or_else(|_| {
                err(
                    "X-SGSCHED-RESCHEDULE",
                    "expected a local date-time YYYYMMDDTHHMMSS",
                )
            })?;
            // As in DTSTART, and as the JSON form (`HH:MM`) can express: a target with
            // seconds would not survive being written back.
            if to.second() != 0 {
                return err(
                    "X-SGSCHED-RESCHEDULE",
                    "seconds are not supported: times are whole minutes",
                );
            }
            pending.push(PendingException::Ready(Exception::Reschedule {
                date: parse_date_part("X-SGSCHED-RESCHEDULE", date)?,
                to,
            }));
        } else if let Some(v) = upper.strip_prefix("X-SGSCHED-DST:") {
            if dst_policy.is_some() {
                return err("X-SGSCHED-DST", "given twice");
            }
            dst_policy = Some(parse_dst(v)?);
        } else if upper.starts_with("X-SGSCHED-HOLIDAYS:") {
            let v = &line["X-SGSCHED-HOLIDAYS:".len()..];
            let (calendar, action) = v.split_once('=').ok_or(()).or_else(|_| {
                err(
                    "X-SGSCHED-HOLIDAYS",
                    "expected CALENDAR=SKIP|NEXT-BUSINESS-DAY",
                )
            })?;
            let action = match action.to_ascii_uppercase().as_str() {
                "SKIP" => HolidayAction::Skip,
                "NEXT-BUSINESS-DAY" => HolidayAction::NextBusinessDay,
                _ => {
                    return err(
                        "X-SGSCHED-HOLIDAYS",
                        "action must be SKIP or NEXT-BUSINESS-DAY",
                    );
                }
            };
            pending.push(PendingException::Ready(Exception::Holidays {
                calendar: calendar.to_string(),
                action,
            }));
        } else {
            let name = line.split([':', ';']).next().unwrap_or(line);
            return err(
                name,
                "unsupported property; expected DTSTART, RRULE, RDATE or EXDATE",
            );
        }
    }
    let mut rrules = rrules.into_iter();
    let Some(p) = rrules.next() else {
        return err("RRULE", "missing RRULE line");
    };
    let tz = start.and_then(|(_, tz)| tz);
    let (mut rule, x_time, until) = p.into_rule()?;
    let frequency = rule.frequency;
    rule.dst_policy = dst_policy.unwrap_or_default();
    match (start, x_time) {
        (Some((dt, _)), _) => {
            rule.start_date = Some(dt.date());
            rule.time_of_day = TimeOfDay {
                hour: dt.hour() as u8,
                minute: dt.minute() as u8,
            };
        }
        (None, Some(t)) => rule.time_of_day = t,
        // No start: a daily or longer rule's time is its BYHOUR/BYMINUTE; a single value
        // is just the time, a list stays an expansion.
        (None, None) if !frequency.is_sub_daily() => {
            let hour = rule.hours.first().copied().unwrap_or(0);
            let minute = rule.minutes.first().copied().unwrap_or(0);
            if hour > 23 {
                return err("BYHOUR", "must be between 0 and 23");
            }
            if minute > 59 {
                return err("BYMINUTE", "must be between 0 and 59");
            }
            if rule.hours.len() == 1 {
                rule.hours.clear();
            }
            if rule.minutes.len() == 1 {
                rule.minutes.clear();
            }
            rule.time_of_day = TimeOfDay::new(hour, minute).unwrap_or(rule.time_of_day);
        }
        (None, None) => {}
    }
    let time = rule.time_of_day.to_naive();
    (rule.end_date, rule.until) = read_until(until, tz, rule.start_date)?;
    for p in rrules {
        let (mut other, x_time, until) = p.into_rule()?;
        if x_time.is_some() {
            return err("X-SGSCHED-TIME", "belongs to the first RRULE only");
        }
        (other.end_date, other.until) = read_until(until, tz, rule.start_date)?;
        rule.additional_rules.push(other.pattern());
    }
    rule.extra_dates = rdates.into_iter().map(|r| r.local_in(tz, time)).collect();
    for e in pending {
        match e {
            PendingException::Ready(e) => rule.exceptions.push(e),
            PendingException::Dates(dates) => {
                rule.exceptions.extend(dates.into_iter().map(|d| match d {
                    RawTime::Date(date) => Exception::Skip(date),
                    other => Exception::SkipAt(other.local_in(tz, time)),
                }))
            }
        }
    }
    if let Some(e) = validate_rule(&rule, "").into_iter().next() {
        return err(part_of_field(&e.field), e.message);
    }
    Ok((rule, tz))
}

/// UNTIL as the rule's bound: a date, or the end of a local day, is `end_date` (so a rule's
/// own `end_date` round-trips); any other time is the exact `until`.
fn read_until(
    until: Option<RawTime>,
    tz: Option<Tz>,
    start: Option<NaiveDate>,
) -> Result<(Option<NaiveDate>, Option<NaiveDateTime>), RRuleError> {
    let Some(until) = until else {
        return Ok((None, None));
    };
    if let RawTime::Date(d) = until {
        // A DATE UNTIL on the start's own date still allows that day's runs; `end_date`
        // must be after the start, so that one is the end of the day to the minute.
        return Ok(if Some(d) == start {
            (None, d.and_hms_opt(23, 59, 0))
        } else {
            (Some(d), None)
        });
    }
    if tz.is_some() && matches!(until, RawTime::Local(..)) {
        return err(
            "UNTIL",
            "RFC 5545 requires UNTIL in UTC (ending in Z) when DTSTART has a zone",
        );
    }
    let local = until.local_in(tz, NaiveTime::MIN);
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59);
    Ok(if Some(local.time()) == end_of_day {
        (Some(local.date()), None)
    } else {
        (None, local.with_second(0))
    })
}

fn part_of_field(field: &str) -> &'static str {
    let name = field.split(['[', '.']).next().unwrap_or(field);
    match name {
        "interval" => "INTERVAL",
        "count" => "COUNT",
        "end_date" => "UNTIL",
        "months" => "BYMONTH",
        "days_of_month" => "BYMONTHDAY",
        "days_of_week" => "BYDAY",
        "hours" => "BYHOUR",
        "minutes" => "BYMINUTE",
        "set_positions" => "BYSETPOS",
        "days_of_year" => "BYYEARDAY",
        "weeks_of_year" => "BYWEEKNO",
        "week_start" => "WKST",
        "exceptions" => "X-SGSCHED-HOLIDAYS",
        "start_date" | "time_of_day" => "DTSTART",
        "dst_policy" => "X-SGSCHED-DST",
        _ => "RRULE",
    }
}

/// `GAP=SHIFT-FORWARD|SKIP;OVERLAP=FIRST|LAST|BOTH`, either part optional.
fn parse_dst(v: &str) -> Result<DstPolicy, RRuleError> {
    let mut policy = DstPolicy::default();
    for item in v.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        match item.split_once('=') {
            Some(("GAP", "SHIFT-FORWARD")) => policy.gap = DstGap::ShiftForward,
            Some(("GAP", "SKIP")) => policy.gap = DstGap::Skip,
            Some(("OVERLAP", "FIRST")) => policy.overlap = DstOverlap::First,
            Some(("OVERLAP", "LAST")) => policy.overlap = DstOverlap::Last,
            Some(("OVERLAP", "BOTH")) => policy.overlap = DstOverlap::Both,
            _ => {
                return err(
                    "X-SGSCHED-DST",
                    format!("{item:?}: expected GAP=SHIFT-FORWARD|SKIP or OVERLAP=FIRST|LAST|BOTH"),
                );
            }
        }
    }
    Ok(policy)
}

fn parse_dtstart(line: &str) -> Result<(NaiveDateTime, Option<Tz>), RRuleError> {
    let Some((params, value)) = line.split_once(':') else {
        return err("DTSTART", "expected DTSTART[;TZID=zone]:value");
    };
    let mut tz = None;
    let mut is_date = false;
    for param in params.split(';').skip(1) {
        match param.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("TZID") => {
                tz = Some(parse_timezone(v).or_else(|e| err("DTSTART", e.to_string()))?);
            }
            Some((k, v)) if k.eq_ignore_ascii_case("VALUE") => {
                is_date = v.eq_ignore_ascii_case("DATE")
            }
            _ => return err("DTSTART", format!("unsupported parameter {param:?}")),
        }
    }
    let value = value.trim();
    if is_date {
        return Ok((
            parse_date_part("DTSTART", value)?.and_time(NaiveTime::MIN),
            tz,
        ));
    }
    let (value, is_utc) = match value.strip_suffix(['Z', 'z']) {
        Some(v) => (v, true),
        None => (value, false),
    };
    let dt = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
        .or_else(|_| err("DTSTART", "expected YYYYMMDDTHHMMSS"))?;
    if dt.second() != 0 {
        return err(
            "DTSTART",
            "seconds are not supported: times are whole minutes",
        );
    }
    if is_utc {
        if tz.is_some() {
            return err("DTSTART", "a UTC time (Z) cannot have a TZID");
        }
        tz = Some(Tz::UTC);
    }
    Ok((dt, tz))
}

fn parse_parts(body: &str) -> Result<Parts, RRuleError> {
    let mut p = Parts::default();
    let mut seen: Vec<&str> = Vec::new();
    for item in body.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((key, value)) = item.split_once('=') else {
            return err(item, "expected NAME=VALUE");
        };
        if seen.contains(&key) {
            return err(key, "given twice");
        }
        seen.push(key);
        match key {
            "FREQ" if value == "SECONDLY" => {
                return err(
                    key,
                    "SECONDLY is not supported: sgsched runs at minute precision",
                );
            }
            "FREQ" => {
                p.freq = Some(match Frequency::parse(&value.to_ascii_lowercase()) {
                    Some(f) => f,
                    None => {
                        return err(
                            key,
                            format!(
                                "{value} is not supported; use MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY"
                            ),
                        );
                    }
                });
            }
            "INTERVAL" => p.interval = Some(number(key, value)?),
            "COUNT" => p.count = Some(number(key, value)?),
            "UNTIL" => p.until = Some(parse_until(value)?),
            "BYMONTH" => p.months = list(key, value)?,
            "BYMONTHDAY" => p.mdays = list(key, value)?,
            "BYHOUR" => p.hours = list(key, value)?,
            "BYMINUTE" => p.minutes = list(key, value)?,
            "BYSETPOS" => p.setpos = list(key, value)?,
            "BYYEARDAY" => p.ydays = list(key, value)?,
            "BYWEEKNO" => p.weeks = list(key, value)?,
            "BYDAY" => {
                p.wdays = value
                    .split(',')
                    .map(|d| weekday(key, d))
                    .collect::<Result<_, _>>()?
            }
            "WKST" => p.wkst = Some(day_number(key, value)?),
            "BYSECOND" if value == "0" => {}
            "X-SGSCHED-TIME" => {
                p.x_time = Some(
                    TimeOfDay::parse(value)
                        .ok_or(())
                        .or_else(|_| err(key, "expected HH:MM"))?,
                );
            }
            "BYSECOND" => {
                return err(
                    key,
                    "only BYSECOND=0 is supported: sgsched runs at minute precision",
                );
            }
            "BYEASTER" | "RSCALE" | "SKIP" => {
                return err(key, "not supported by sgsched rules");
            }
            _ => return err(key, "unknown rule part"),
        }
    }
    if p.count.is_some() && p.until.is_some() {
        return err("UNTIL", "COUNT and UNTIL cannot both be given (RFC 5545)");
    }
    Ok(p)
}

fn number<T: std::str::FromStr>(part: &str, v: &str) -> Result<T, RRuleError> {
    v.parse()
        .or_else(|_| err(part, format!("{v:?} is not a valid number here")))
}

fn list<T: std::str::FromStr>(part: &str, v: &str) -> Result<Vec<T>, RRuleError> {
    v.split(',')
        .map(|x| number(part, x.trim().trim_start_matches('+')))
        .collect()
}

fn day_number(part: &str, v: &str) -> Result<u8, RRuleError> {
    match DAYS.iter().position(|d| *d == v) {
        Some(i) => Ok(i as u8 + 1),
        None => err(
            part,
            format!("{v:?} is not a weekday (MO, TU, WE, TH, FR, SA, SU)"),
        ),
    }
}

fn weekday(part: &str, v: &str) -> Result<WeekdaySpec, RRuleError> {
    let v = v.trim();
    let split = v.len().saturating_sub(2);
    let (ordinal, day) = v
        .split_at_checked(split)
        .ok_or(())
        .or_else(|_| err(part, format!("{v:?} is not a weekday")))?;
    let day = day_number(part, day)?;
    if ordinal.is_empty() {
        return Ok(WeekdaySpec::every(day));
    }
    let n: i8 = number(part, ordinal.trim_start_matches('+'))?;
    Ok(WeekdaySpec::nth(n, day))
}
