//! A rule as RFC 5545 text: `DTSTART;TZID=…`, one `RRULE` line per pattern (the rule's own,
//! then its `additional_rules`), `RDATE;TZID=` for extra dates, one line per exception in
//! order (`EXDATE` or an `X-SGSCHED-` property), and `X-SGSCHED-DST` for a DST policy.
//! [`super::parse_rrule`] reads all of it back to an equal rule.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;

use super::rrule::DAYS;
use super::rule::{DstGap, DstOverlap, Exception, HolidayAction, RecurrenceRule};
use crate::timezone::local_to_utc;

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn stamp(dt: NaiveDateTime) -> String {
    dt.format("%Y%m%dT%H%M00").to_string()
}

/// The rule as RFC 5545 text in `tz`.
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
    write_rrule_line(&mut out, rule, tz, true);
    for pattern in &rule.additional_rules {
        out.push('\n');
        write_rrule_line(&mut out, &rule.with_pattern(pattern), tz, false);
    }
    if !rule.extra_dates.is_empty() {
        let dates: Vec<String> = rule.extra_dates.iter().map(|d| stamp(*d)).collect();
        let _ = write!(out, "\nRDATE;TZID={}:{}", tz.name(), dates.join(","));
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
            Exception::SkipAt(at) => {
                let _ = write!(out, "\nEXDATE;TZID={}:{}", tz.name(), stamp(*at));
            }
            Exception::Reschedule { date, to } => {
                let _ = write!(
                    out,
                    "\nX-SGSCHED-RESCHEDULE:{}={}",
                    date.format("%Y%m%d"),
                    stamp(*to)
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

/// UNTIL for a local bound: in UTC with a start (RFC 5545 wants UTC with a zoned DTSTART),
/// floating without one. West of Greenwich the end of 9999 is in year 10000, which
/// YYYYMMDD cannot write: an `end_date` there is written as a DATE.
fn until_value(local: NaiveDateTime, tz: Tz, zoned: bool) -> String {
    if !zoned {
        return local.format("%Y%m%dT%H%M%S").to_string();
    }
    let utc = local_to_utc(&tz, local);
    if utc.year() <= 9999 {
        utc.format("%Y%m%dT%H%M%SZ").to_string()
    } else {
        // Only an `end_date` gets here (`until` is kept a day inside year 9999).
        local.format("%Y%m%d").to_string()
    }
}

/// One `RRULE:` line. `first` is the rule's own line, which alone carries the time of a
/// rule without a start (in BYHOUR/BYMINUTE or `X-SGSCHED-TIME`).
fn write_rrule_line(out: &mut String, rule: &RecurrenceRule, tz: Tz, first: bool) {
    let tod = rule.time_of_day;
    let zoned = rule.start_date.is_some();
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
        let _ = write!(out, ";UNTIL={}", until_value(last, tz, zoned));
    }
    if let Some(until) = rule.until {
        let _ = write!(out, ";UNTIL={}", until_value(until, tz, zoned));
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
    if first && rule.start_date.is_none() {
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
}
