//! A `VEVENT` read as sgsched timing: its `DTSTART` with its zone, and its `RRULE`s, `RDATE`s
//! and `EXDATE`s as a recurrence rule (through [`crate::recurrence::parse_rrule`], the one
//! reader of rule text), or a single instant when it has no recurrence. What sgsched cannot
//! represent is an [`EventError`] naming the event's `UID` and the property.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::reader::{Component, IcalError, parse_document, unescape_text};
use crate::recurrence::{RecurrenceRule, parse_rrule};
use crate::timezone::{local_to_utc, parse_timezone};

/// When an event runs.
#[derive(Debug, Clone, PartialEq)]
pub enum EventTiming {
    Once { at: DateTime<Utc>, tz: Tz },
    Recurring { rule: Box<RecurrenceRule>, tz: Tz },
}

/// One `VEVENT` read.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub uid: Option<String>,
    pub summary: Option<String>,
    pub timing: EventTiming,
}

/// Why one event cannot be represented.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{property}: {message}", uid.as_ref().map(|u| format!("UID {u}: ")).unwrap_or_default())]
pub struct EventError {
    pub uid: Option<String>,
    pub property: String,
    pub message: String,
}

/// Properties that carry an event's timing; the rest (`SUMMARY`, `DTEND`, alarms …) do not
/// change when it runs.
const TIMING: [&str; 5] = ["DTSTART", "RRULE", "RDATE", "EXDATE", "EXRULE"];

/// Every `VEVENT` of `text` (a `VCALENDAR` or one bare `VEVENT`), each read or refused.
/// `floating_tz` is the zone of a time written without one; without it such a time is refused.
pub fn read_events(
    text: &str,
    floating_tz: Option<Tz>,
) -> Result<Vec<Result<Event, EventError>>, IcalError> {
    let doc = parse_document(text)?;
    let events: Vec<&Component> = match doc.name.as_str() {
        "VEVENT" => vec![&doc],
        "VCALENDAR" => doc.children_named("VEVENT").collect(),
        other => {
            return Err(IcalError {
                line: doc.line,
                message: format!("expected BEGIN:VCALENDAR or BEGIN:VEVENT, not {other}"),
            });
        }
    };
    Ok(events
        .into_iter()
        .map(|e| read_event(e, floating_tz))
        .collect())
}

fn read_event(c: &Component, floating_tz: Option<Tz>) -> Result<Event, EventError> {
    let uid = c.property("UID").map(|p| unescape_text(&p.value));
    let summary = c.property("SUMMARY").map(|p| unescape_text(&p.value));
    let refuse = |property: &str, message: String| EventError {
        uid: uid.clone(),
        property: property.to_string(),
        message,
    };
    if c.property("RECURRENCE-ID").is_some() {
        return Err(refuse(
            "RECURRENCE-ID",
            "a changed instance of a recurring event is not imported; move it with an \
             exception on the schedule instead"
                .into(),
        ));
    }
    let starts: Vec<_> = c.all("DTSTART").collect();
    let start = match starts[..] {
        [] => return Err(refuse("DTSTART", "is required".into())),
        [one] => one,
        _ => {
            return Err(refuse(
                "DTSTART",
                "given twice; an event starts once".into(),
            ));
        }
    };
    let recurs = c
        .properties
        .iter()
        .any(|p| matches!(p.name.as_str(), "RRULE" | "RDATE" | "EXRULE"));
    if !recurs {
        let (local, tz) = start_of(start.param("TZID"), start.param("VALUE"), &start.value)
            .map_err(|m| refuse("DTSTART", m))?;
        let tz = match tz {
            Some(tz) => tz,
            None => floating_tz.ok_or_else(|| refuse("DTSTART", floating_message()))?,
        };
        let at = match local {
            Start::Utc(at) => at,
            Start::Local(l) => local_to_utc(&tz, l),
        };
        return Ok(Event {
            uid,
            summary,
            timing: EventTiming::Once { at, tz },
        });
    }
    let mut text = String::new();
    for p in c
        .properties
        .iter()
        .filter(|p| TIMING.contains(&p.name.as_str()))
    {
        text.push_str(&p.to_text());
        text.push('\n');
    }
    // RDATEs alone are the start and those dates: a rule that fires once, plus its extras.
    if c.property("RRULE").is_none() && c.property("EXRULE").is_none() {
        text.push_str("RRULE:FREQ=DAILY;COUNT=1\n");
    }
    let (rule, tz) = parse_rrule(&text).map_err(|e| refuse(&e.part, e.message))?;
    let tz = match tz {
        Some(tz) => tz,
        None => floating_tz.ok_or_else(|| refuse("DTSTART", floating_message()))?,
    };
    Ok(Event {
        uid,
        summary,
        timing: EventTiming::Recurring {
            rule: Box::new(rule),
            tz,
        },
    })
}

fn floating_message() -> String {
    "a time without a zone (floating); give `timezone` to say where it is".into()
}

enum Start {
    Utc(DateTime<Utc>),
    Local(NaiveDateTime),
}

/// A single `DTSTART`: UTC (`Z`), local in `TZID`, floating, or a date (midnight).
fn start_of(
    tzid: Option<&str>,
    value_type: Option<&str>,
    value: &str,
) -> Result<(Start, Option<Tz>), String> {
    let tz = tzid
        .map(|name| parse_timezone(name).map_err(|e| format!("TZID: {e}")))
        .transpose()?;
    let value = value.trim();
    if value_type.is_some_and(|v| v.eq_ignore_ascii_case("DATE")) || value.len() == 8 {
        let d = NaiveDate::parse_from_str(value, "%Y%m%d")
            .map_err(|_| format!("expected a date YYYYMMDD, got {value:?}"))?;
        return Ok((Start::Local(d.and_time(NaiveTime::MIN)), tz));
    }
    let (body, utc) = match value.strip_suffix(['Z', 'z']) {
        Some(b) => (b, true),
        None => (value, false),
    };
    let dt = NaiveDateTime::parse_from_str(body, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("expected YYYYMMDDTHHMMSS[Z], got {value:?}"))?;
    if utc {
        if tz.is_some() {
            return Err("a UTC time (Z) cannot have a TZID".into());
        }
        return Ok((Start::Utc(dt.and_utc()), Some(Tz::UTC)));
    }
    Ok((Start::Local(dt), tz))
}
