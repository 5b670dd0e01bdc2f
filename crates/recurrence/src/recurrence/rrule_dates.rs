//! The date-valued properties of RFC 5545 text: RDATE, EXDATE and UNTIL values in each of
//! their forms (`VALUE=DATE`, `TZID=zone` local, `Z` UTC, floating local), read strictly
//! and brought to the local time of the rule's zone, the one the JSON rule speaks.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

use super::rrule::{RRuleError, err};
use crate::timezone::{parse_timezone, resolve_local};

/// One value as written, before the rule's zone is known (DTSTART may come later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RawTime {
    Date(NaiveDate),
    /// Local time in the given zone, or floating (`None`).
    Local(NaiveDateTime, Option<Tz>),
    Utc(NaiveDateTime),
}

impl RawTime {
    /// As a local date-time in `tz` (the DTSTART's zone; `None` for a floating rule, which
    /// takes every time as written), a date at `time`.
    pub(super) fn local_in(self, tz: Option<Tz>, time: NaiveTime) -> NaiveDateTime {
        let in_zone = |at: DateTime<Utc>| match tz {
            Some(tz) => at.with_timezone(&tz).naive_local(),
            None => at.naive_utc(),
        };
        match self {
            RawTime::Date(d) => d.and_time(time),
            RawTime::Local(dt, Some(zone)) if tz.is_some_and(|t| t != zone) => {
                in_zone(resolve_local(&zone, dt).0)
            }
            RawTime::Local(dt, _) => dt,
            RawTime::Utc(dt) => in_zone(dt.and_utc()),
        }
    }
}

/// `YYYYMMDD`, exactly.
pub(super) fn parse_date_part(part: &str, v: &str) -> Result<NaiveDate, RRuleError> {
    let v = v.trim();
    if v.len() != 8 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return err(part, format!("expected a date YYYYMMDD, got {v:?}"));
    }
    NaiveDate::parse_from_str(v, "%Y%m%d")
        .or_else(|_| err(part, format!("{v:?} is not a calendar date")))
}

/// `YYYYMMDDTHHMMSS` with `Z` or not, whole minutes only.
fn parse_datetime(part: &str, v: &str) -> Result<(NaiveDateTime, bool), RRuleError> {
    let (body, is_utc) = match v.strip_suffix(['Z', 'z']) {
        Some(b) => (b, true),
        None => (v, false),
    };
    let dt = (body.len() == 15)
        .then(|| NaiveDateTime::parse_from_str(body, "%Y%m%dT%H%M%S").ok())
        .flatten()
        .ok_or(())
        .or_else(|_| err(part, format!("expected YYYYMMDDTHHMMSS[Z], got {v:?}")))?;
    if dt.second() != 0 {
        return err(
            part,
            "seconds are not supported: sgsched runs at minute precision",
        );
    }
    Ok((dt, is_utc))
}

/// The values of an `RDATE` / `EXDATE` line (`NAME;params:v1,v2`), at most `room` of them
/// (counted before any is parsed, so a huge line fails at once).
pub(super) fn parse_date_list(
    part: &str,
    line: &str,
    room: usize,
) -> Result<Vec<RawTime>, RRuleError> {
    let Some((params, values)) = line.split_once(':') else {
        return err(
            part,
            format!("expected {part}[;TZID=zone|;VALUE=DATE]:values"),
        );
    };
    let (mut zone, mut date_only) = (None, false);
    for param in params.split(';').skip(1) {
        match param.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("TZID") => {
                zone = Some(parse_timezone(v).or_else(|e| err(part, e.to_string()))?);
            }
            Some((k, v)) if k.eq_ignore_ascii_case("VALUE") => {
                date_only = match v.to_ascii_uppercase().as_str() {
                    "DATE" => true,
                    "DATE-TIME" => false,
                    "PERIOD" => return err(part, "PERIOD values are not supported"),
                    _ => return err(part, format!("unknown VALUE {v:?}")),
                }
            }
            _ => return err(part, format!("unsupported parameter {param:?}")),
        }
    }
    let values: Vec<&str> = values
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if values.len() > room {
        return err(part, format!("too many dates: at most {room} more here"));
    }
    values
        .into_iter()
        .map(|v| {
            // A bare date without VALUE=DATE is read as one, as before (lenient clients
            // write it so).
            if date_only || v.len() == 8 {
                if date_only && zone.is_some() {
                    return err(part, "a DATE value has no TZID");
                }
                return Ok(RawTime::Date(parse_date_part(part, v)?));
            }
            let (dt, is_utc) = parse_datetime(part, v)?;
            match (is_utc, zone) {
                (true, Some(_)) => err(part, "a UTC time (Z) cannot have a TZID"),
                (true, None) => Ok(RawTime::Utc(dt)),
                (false, zone) => Ok(RawTime::Local(dt, zone)),
            }
        })
        .collect()
}

/// An `UNTIL` value: a date, a UTC date-time or a floating one.
pub(super) fn parse_until(v: &str) -> Result<RawTime, RRuleError> {
    if v.len() == 8 {
        return Ok(RawTime::Date(parse_date_part("UNTIL", v)?));
    }
    let (dt, is_utc) = match v.strip_suffix(['Z', 'z']) {
        Some(b) => (NaiveDateTime::parse_from_str(b, "%Y%m%dT%H%M%S").ok(), true),
        None => (
            NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok(),
            false,
        ),
    };
    // Seconds are kept: 23:59:59 is how an `end_date` is written.
    let dt = dt
        .filter(|_| v.len() == 15 + usize::from(is_utc))
        .ok_or(())
        .or_else(|_| err("UNTIL", "expected YYYYMMDD or YYYYMMDDTHHMMSS[Z]"))?;
    Ok(if is_utc {
        RawTime::Utc(dt)
    } else {
        RawTime::Local(dt, None)
    })
}
