//! RFC 5545 text for a rule, both ways: `DTSTART;TZID=…` + `RRULE:FREQ=…`, and back.
//!
//! JSON → RRULE → JSON gives an equal rule. Parts the model cannot hold (SECONDLY, BYSECOND,
//! seconds in DTSTART, EXRULE) are rejected, naming the part and why. Exceptions,
//! which RRULE has no words for, travel as `EXDATE;VALUE=DATE` lines and two `X-SGSCHED-`
//! properties; a rule without `start_date` carries its time in an `X-SGSCHED-TIME` part when
//! BYHOUR/BYMINUTE cannot. UNTIL is read as a whole local date: the last date whose every
//! run is at or before UNTIL.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

use super::rule::{
    DstGap, DstOverlap, DstPolicy, Exception, Frequency, HolidayAction, RecurrenceRule, TimeOfDay,
    WeekdaySpec,
};
use super::validate::validate_rule;
use crate::timezone::{local_to_utc, parse_timezone};

/// What is wrong with RRULE text, and in which part (`BYDAY`, `DTSTART`, `UNTIL` …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct RRuleError {
    pub part: String,
    pub message: String,
}

fn err<T>(part: &str, message: impl Into<String>) -> Result<T, RRuleError> {
    Err(RRuleError {
        part: part.to_string(),
        message: message.into(),
    })
}

const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The rule as RFC 5545 text in `tz`: a `DTSTART` line when it has a start date, the
/// `RRULE` line, then one line per exception, in order.
pub fn to_rrule(rule: &RecurrenceRule, tz: Tz) -> String {
    let mut out = String::new();
    let tod = rule.time_of_day;
    if let Some(start) = rule.start_date {
        let _ = writeln!(
            out,
            "DTSTART;TZID={}:{}T{:02}{:02}00",
            tz.name(),
            start.format("%Y%m%d"),
            tod.hour,
            tod.minute
        );
    }
    let _ = write!(
        out,
        "RRULE:FREQ={}",
        rule.frequency.as_str().to_ascii_uppercase()
    );
    if rule.interval != 1 {
        let _ = write!(out, ";INTERVAL={}", rule.interval);
    }
    if let Some(count) = rule.count {
        let _ = write!(out, ";COUNT={count}");
    }
    if let Some(end) = rule.end_date {
        let last = end
            .and_hms_opt(23, 59, 59)
            .unwrap_or(end.and_time(NaiveTime::MIN));
        let utc = local_to_utc(&tz, last);
        // With a TZID start RFC 5545 wants UNTIL in UTC, but west of Greenwich the end of
        // 9999-12-31 is in year 10000, which YYYYMMDD cannot write: that one stays local.
        if rule.start_date.is_some() && utc.year() <= 9999 {
            let _ = write!(out, ";UNTIL={}", utc.format("%Y%m%dT%H%M%SZ"));
        } else {
            let _ = write!(out, ";UNTIL={}", last.format("%Y%m%dT%H%M%S"));
        }
    }
    if !rule.months.is_empty() {
        let _ = write!(out, ";BYMONTH={}", join(&rule.months));
    }
    if !rule.weeks_of_year.is_empty() {
        let _ = write!(out, ";BYWEEKNO={}", join(&rule.weeks_of_year));
    }
    if !rule.days_of_year.is_empty() {
        let _ = write!(out, ";BYYEARDAY={}", join(&rule.days_of_year));
    }
    if !rule.days_of_month.is_empty() {
        let _ = write!(out, ";BYMONTHDAY={}", join(&rule.days_of_month));
    }
    if !rule.days_of_week.is_empty() {
        let days: Vec<String> = rule
            .days_of_week
            .iter()
            .map(|w| {
                let name = DAYS
                    .get(usize::from(w.day.clamp(1, 7) - 1))
                    .copied()
                    .unwrap_or("MO");
                w.ordinal.map_or(name.to_string(), |n| format!("{n}{name}"))
            })
            .collect();
        let _ = write!(out, ";BYDAY={}", days.join(","));
    }
    let (mut hours, mut minutes) = (rule.hours.clone(), rule.minutes.clone());
    let mut x_time = false;
    if rule.start_date.is_none() {
        if !rule.frequency.is_sub_daily() && hours.is_empty() && minutes.is_empty() {
            (hours, minutes) = (vec![tod.hour], vec![tod.minute]);
        } else {
            x_time = true;
        }
    }
    if !hours.is_empty() {
        let _ = write!(out, ";BYHOUR={}", join(&hours));
    }
    if !minutes.is_empty() {
        let _ = write!(out, ";BYMINUTE={}", join(&minutes));
    }
    if !rule.set_positions.is_empty() {
        let _ = write!(out, ";BYSETPOS={}", join(&rule.set_positions));
    }
    if let Some(w) = rule.week_start {
        let _ = write!(
            out,
            ";WKST={}",
            DAYS.get(usize::from(w.clamp(1, 7) - 1))
                .copied()
                .unwrap_or("MO")
        );
    }
    if x_time {
        let _ = write!(out, ";X-SGSCHED-TIME={tod}");
    }
    if !rule.dst_policy.is_default() {
        let gap = match rule.dst_policy.gap {
            DstGap::ShiftForward => "SHIFT-FORWARD",
            DstGap::Skip => "SKIP",
        };
        let overlap = match rule.dst_policy.overlap {
            DstOverlap::First => "FIRST",
            DstOverlap::Last => "LAST",
            DstOverlap::Both => "BOTH",
        };
        let _ = write!(out, "\nX-SGSCHED-DST:GAP={gap};OVERLAP={overlap}");
    }
    for e in &rule.exceptions {
        match e {
            Exception::Skip(date) => {
                let _ = write!(out, "\nEXDATE;VALUE=DATE:{}", date.format("%Y%m%d"));
            }
            Exception::Reschedule { date, to } => {
                let _ = write!(
                    out,
                    "\nX-SGSCHED-RESCHEDULE:{}={}",
                    date.format("%Y%m%d"),
                    to.format("%Y%m%dT%H%M00")
                );
            }
            Exception::Holidays { calendar, action } => {
                let action = if *action == HolidayAction::Skip {
                    "SKIP"
                } else {
                    "NEXT-BUSINESS-DAY"
                };
                let _ = write!(out, "\nX-SGSCHED-HOLIDAYS:{calendar}={action}");
            }
        }
    }
    out
}

#[derive(Default)]
struct Parts {
    freq: Option<Frequency>,
    interval: Option<u32>,
    count: Option<u32>,
    until: Option<(NaiveDateTime, bool)>,
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

/// Parses RRULE text: an optional `DTSTART` line, the `RRULE:` line (or a bare
/// `FREQ=…;…`), optional `EXDATE` / `X-SGSCHED-*` lines. Returns the rule and the zone
/// named by `DTSTART;TZID=` (UTC for a `Z` start, none for a floating one).
pub fn parse_rrule(text: &str) -> Result<(RecurrenceRule, Option<Tz>), RRuleError> {
    let unfolded = text
        .replace("\r\n", "\n")
        .replace("\n ", "")
        .replace("\n\t", "");
    let mut start: Option<(NaiveDateTime, Option<Tz>)> = None;
    let mut parts: Option<Parts> = None;
    let mut exceptions = Vec::new();
    let mut dst_policy: Option<DstPolicy> = None;
    for line in unfolded.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("DTSTART") {
            start = Some(parse_dtstart(line)?);
        } else if let Some(body) = upper.strip_prefix("RRULE:") {
            parts = Some(parse_parts(body)?);
        } else if upper.starts_with("FREQ=") {
            parts = Some(parse_parts(&upper)?);
        } else if upper.starts_with("EXDATE") {
            let value = line.rsplit(':').next().unwrap_or("");
            for v in value.split(',') {
                exceptions.push(Exception::Skip(parse_date_part("EXDATE", v)?));
            }
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
            exceptions.push(Exception::Reschedule {
                date: parse_date_part("X-SGSCHED-RESCHEDULE", date)?,
                to,
            });
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
            exceptions.push(Exception::Holidays {
                calendar: calendar.to_string(),
                action,
            });
        } else {
            let name = line.split([':', ';']).next().unwrap_or(line);
            return err(
                name,
                "unsupported property; expected DTSTART, RRULE or EXDATE",
            );
        }
    }
    let Some(p) = parts else {
        return err("RRULE", "missing RRULE line");
    };
    let Some(frequency) = p.freq else {
        return err("FREQ", "is required");
    };
    let tz = start.and_then(|(_, tz)| tz);

    let mut rule = RecurrenceRule::new(frequency, TimeOfDay { hour: 0, minute: 0 });
    rule.interval = p.interval.unwrap_or(1);
    rule.count = p.count;
    rule.months = p.months;
    rule.days_of_month = p.mdays;
    rule.days_of_week = p.wdays;
    rule.set_positions = p.setpos;
    rule.days_of_year = p.ydays;
    rule.weeks_of_year = p.weeks;
    rule.week_start = p.wkst;
    rule.exceptions = exceptions;
    rule.dst_policy = dst_policy.unwrap_or_default();
    rule.hours = p.hours;
    rule.minutes = p.minutes;
    match (start, p.x_time) {
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
    if let Some((until, is_utc)) = p.until {
        let local = if is_utc {
            let utc = until.and_utc();
            tz.map_or(utc.naive_utc(), |tz| {
                DateTime::<Utc>::with_timezone(&utc, &tz).naive_local()
            })
        } else {
            until
        };
        rule.end_date = Some(until_date(&rule, local));
    }
    if let Some(e) = validate_rule(&rule, "").into_iter().next() {
        return err(part_of_field(&e.field), e.message);
    }
    Ok((rule, tz))
}

/// The last local date all of whose runs are at or before `until`.
fn until_date(rule: &RecurrenceRule, until: NaiveDateTime) -> NaiveDate {
    let latest = if rule.frequency.is_sub_daily() {
        NaiveTime::from_hms_opt(23, 59, 0)
    } else {
        let hour = rule
            .hours
            .iter()
            .max()
            .copied()
            .unwrap_or(rule.time_of_day.hour);
        let minute = rule
            .minutes
            .iter()
            .max()
            .copied()
            .unwrap_or(rule.time_of_day.minute);
        NaiveTime::from_hms_opt(u32::from(hour), u32::from(minute), 0)
    }
    .unwrap_or(NaiveTime::MIN);
    if until.time() >= latest {
        until.date()
    } else {
        until.date().pred_opt().unwrap_or(until.date())
    }
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

fn parse_date_part(part: &str, v: &str) -> Result<NaiveDate, RRuleError> {
    let v = v.trim();
    let date_only = v.get(..8).unwrap_or(v);
    NaiveDate::parse_from_str(date_only, "%Y%m%d")
        .or_else(|_| err(part, format!("expected a date YYYYMMDD, got {v:?}")))
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
            "BYSECOND" | "BYEASTER" | "RSCALE" | "SKIP" => {
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

fn parse_until(v: &str) -> Result<(NaiveDateTime, bool), RRuleError> {
    let (body, is_utc) = match v.strip_suffix('Z') {
        Some(b) => (b, true),
        None => (v, false),
    };
    if body.len() == 8 {
        let d = parse_date_part("UNTIL", body)?;
        return Ok((
            d.and_hms_opt(23, 59, 59)
                .unwrap_or(d.and_time(NaiveTime::MIN)),
            false,
        ));
    }
    let dt = NaiveDateTime::parse_from_str(body, "%Y%m%dT%H%M%S")
        .or_else(|_| err("UNTIL", "expected YYYYMMDD or YYYYMMDDTHHMMSS[Z]"))?;
    Ok((dt, is_utc))
}
