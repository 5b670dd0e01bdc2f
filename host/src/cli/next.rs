//! `sgsched next --rule RULE --tz ZONE [--after INSTANT] [-n N]`: the next N occurrences of a
//! rule (JSON, RRULE text, or a whole iCalendar `VEVENT`) strictly after INSTANT, one a line:
//! UTC, a space, local time.

use std::process::ExitCode;

use chrono::{DateTime, Utc};

use crate::recurrence::{HolidayCalendars, Recurrence, parse_rrule, parse_rule};
use crate::timezone::parse_timezone;
use sgsched_recurrence::ical::{EventTiming, read_events};

/// The timing of the one `VEVENT` in `text`.
fn one_event(text: &str, floating: Option<chrono_tz::Tz>) -> Result<EventTiming, String> {
    let mut events = read_events(text, floating).map_err(|e| e.to_string())?;
    match events.len() {
        1 => events
            .remove(0)
            .map(|e| e.timing)
            .map_err(|e| e.to_string()),
        n => Err(format!("expected one VEVENT, found {n}")),
    }
}

#[derive(clap::Args)]
pub struct NextArgs {
    /// The rule: a JSON recurrence rule (`{"frequency":"daily","time_of_day":"09:00"}`) or
    /// RFC 5545 RRULE text (`FREQ=WEEKLY;BYDAY=MO,WE`, optionally with a DTSTART line), or a
    /// whole `BEGIN:VEVENT` … `END:VEVENT` (its DTSTART, RRULEs, RDATEs and EXDATEs).
    #[arg(long)]
    rule: String,
    /// IANA timezone; defaults to the RRULE's DTSTART;TZID, else UTC.
    #[arg(long)]
    tz: Option<String>,
    /// RFC 3339 instant; occurrences strictly after it (default: now).
    #[arg(long)]
    after: Option<String>,
    /// How many occurrences to print.
    #[arg(short = 'n', default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    n: u32,
}

/// Every problem goes to stderr and the exit code is 2.
pub fn run(args: NextArgs, now: DateTime<Utc>) -> ExitCode {
    match occurrences(&args, now) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            ExitCode::from(2)
        }
    }
}

fn occurrences(args: &NextArgs, now: DateTime<Utc>) -> Result<Vec<String>, Vec<String>> {
    let mut errors = Vec::new();
    let after = match &args.after {
        None => Some(now),
        Some(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(e) => {
                errors.push(format!("--after: {s:?} is not an RFC 3339 instant ({e})"));
                None
            }
        },
    };
    let text = args.rule.trim();
    let (rule, rule_tz) = if text.to_ascii_uppercase().starts_with("BEGIN:") {
        let floating = args.tz.as_deref().and_then(|n| parse_timezone(n).ok());
        match one_event(text, floating) {
            Ok(EventTiming::Recurring { rule, tz }) => (Some(*rule), Some(tz)),
            Ok(EventTiming::Once { at, tz }) => {
                let after = after.ok_or(errors)?;
                let local = crate::timezone::utc_to_local(&tz, at);
                return Ok((at > after)
                    .then(|| crate::timezone::format_occurrence_line(at, local))
                    .into_iter()
                    .collect());
            }
            Err(e) => {
                errors.push(format!("--rule: {e}"));
                (None, None)
            }
        }
    } else if text.starts_with('{') {
        match serde_json::from_str::<serde_json::Value>(text) {
            Err(e) => {
                errors.push(format!("--rule: not valid JSON: {e}"));
                (None, None)
            }
            Ok(v) => match parse_rule(&v, "") {
                Ok(r) => (Some(r), None),
                Err(es) => {
                    errors.extend(es.iter().map(|e| format!("--rule: {e}")));
                    (None, None)
                }
            },
        }
    } else {
        match parse_rrule(text) {
            Ok((r, tz)) => (Some(r), tz),
            Err(e) => {
                errors.push(format!("--rule: {e}"));
                (None, None)
            }
        }
    };
    let tz = match (&args.tz, rule_tz) {
        (Some(name), _) => match parse_timezone(name) {
            Ok(tz) => Some(tz),
            Err(e) => {
                errors.push(format!("--tz: {e}"));
                None
            }
        },
        (None, Some(tz)) => Some(tz),
        (None, None) => Some(chrono_tz::UTC),
    };
    let (Some(mut rule), Some(tz), Some(after)) = (rule, tz, after) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    // Without a start date the rule starts on the local date of --after, as a schedule created
    // at that instant would.
    if rule.start_date.is_none() {
        rule.start_date = Some(after.with_timezone(&tz).date_naive());
    }
    let recurrence = Recurrence::new(&rule, tz, &HolidayCalendars::builtin()).map_err(|e| {
        e.field_errors("")
            .iter()
            .map(|f| format!("--rule: {f}"))
            .collect::<Vec<_>>()
    })?;
    Ok(recurrence
        .iter_from(after)
        .take(args.n as usize)
        .map(|o| o.to_line())
        .collect())
}
