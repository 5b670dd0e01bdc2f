//! A calendar feed's text: the user's schedules as one iCalendar document a calendar app
//! subscribes to.
//!
//! A recurring schedule is one `VEVENT`: its rule's start as `DTSTART;TZID`, the rule as
//! `RRULE` lines read the way every iCalendar client reads them (no exceptions, today's DST
//! resolution), and then, over a stated window, the difference between that reading and what
//! sgsched will really run: an `EXDATE` for each occurrence that will not run at its time
//! (an exception date, a holiday, a reschedule's old time, a DST skip, `max_runs` reached)
//! and an `RDATE` for each run the rule alone would not give (a reschedule's new time, a
//! holiday moved to the next business day, the second instant of an `overlap: both` time).
//! Both are written in UTC, so an instant in a repeated local hour is never ambiguous. Past
//! the window a client sees the plain rule. A once schedule is one event at its instant.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sgsched_recurrence::ical::{IcsWriter, write_vtimezone};

use crate::model::timing::Timing;
use crate::model::{Execution, Schedule, ScheduleKind, ScheduleStatus};
use crate::recurrence::{HolidayCalendars, Recurrence, RecurrenceRule, to_rrule};

/// How far ahead a feed expands what the rule alone does not say.
pub const HORIZON_DAYS: i64 = 366;
/// How far back it does (older exceptions are history).
pub const PAST_DAYS: i64 = 92;
/// Occurrences of one rule looked at in the window: a minutely rule's window is cut short
/// (the event says where) rather than a feed request stepping through half a million minutes.
const MAX_SCAN: usize = 20_000;
/// `EXDATE`s plus `RDATE`s of one event.
const MAX_DIFF: usize = 2_000;

/// One schedule of the feed with what the service knows of it.
pub struct FeedItem<'a> {
    pub schedule: &'a Schedule,
    /// Its planned runs from now to the horizon (`Scheduler::planned`).
    pub planned: Vec<DateTime<Utc>>,
    /// Its finished runs, when the feed includes them.
    pub past: Vec<Execution>,
}

/// The window's ends move once a day (at 00:00 UTC), not with every request, so the text, and
/// its ETag, stay the same until something changes.
fn day_of(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc()
}

/// The end of the window the feed lists differences in.
pub fn horizon(now: DateTime<Utc>) -> DateTime<Utc> {
    day_of(now) + Duration::days(HORIZON_DAYS)
}

/// Its start.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    day_of(now) - Duration::days(PAST_DAYS)
}

/// The rule as an iCalendar client reads it: no exceptions and no extra dates (the feed
/// lists what they change as dates), RFC 5545's DST resolution (shift forward, first).
fn client_reading(rule: &RecurrenceRule) -> RecurrenceRule {
    let mut plain = rule.clone();
    plain.exceptions.clear();
    plain.extra_dates.clear();
    plain.dst_policy = Default::default();
    plain
}

fn utc_text(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The feed's document. `base` is the server's origin (`https://host`), for page links.
pub fn render(
    items: &[FeedItem<'_>],
    now: DateTime<Utc>,
    base: &str,
    calendars: &HolidayCalendars,
) -> String {
    let until = horizon(now);
    let mut w = IcsWriter::new();
    w.begin("VCALENDAR");
    w.raw("VERSION", &[], "2.0");
    w.raw("PRODID", &[], "-//Story-Genius//sgsched//EN");
    w.raw("CALSCALE", &[], "GREGORIAN");
    w.raw("METHOD", &[], "PUBLISH");
    w.text("X-WR-CALNAME", "sgsched: planned runs");
    w.text(
        "X-WR-CALDESC",
        &format!(
            "Planned runs of your schedules. Exceptions, holidays and reschedules are listed \
             from {} to {} (UTC); past that each rule stands alone.",
            window_start(now).format("%Y-%m-%d"),
            until.format("%Y-%m-%d")
        ),
    );
    let mut zones: Vec<(Tz, DateTime<Utc>)> = Vec::new();
    for item in items {
        let s = item.schedule;
        if s.timezone == Tz::UTC {
            continue;
        }
        let from = first_instant(s).unwrap_or(now).min(day_of(now)) - Duration::days(1);
        match zones.iter_mut().find(|(tz, _)| *tz == s.timezone) {
            Some((_, earliest)) => *earliest = (*earliest).min(from),
            None => zones.push((s.timezone, from)),
        }
    }
    zones.sort_by_key(|(tz, _)| tz.name());
    for (tz, from) in &zones {
        write_vtimezone(&mut w, tz, *from, until + Duration::days(1));
    }
    for item in items {
        write_event(&mut w, item, now, base, calendars);
        for run in &item.past {
            write_past_run(&mut w, item.schedule, run);
        }
    }
    w.end("VCALENDAR");
    w.finish()
}

/// The instant a schedule's event starts at: its once time, or its rule's first occurrence.
fn first_instant(s: &Schedule) -> Option<DateTime<Utc>> {
    match &s.kind {
        ScheduleKind::Once { at } => Some(*at),
        ScheduleKind::Recurring { rule } => {
            let date = rule.start_date?;
            Some(crate::timezone::local_to_utc(
                &s.timezone,
                date.and_time(rule.time_of_day.to_naive()),
            ))
        }
    }
}

fn write_common(w: &mut IcsWriter, s: &Schedule, base: &str) {
    w.raw("UID", &[], &format!("{}@sgsched", s.id));
    w.raw("DTSTAMP", &[], &utc_text(s.updated_at()));
    w.raw("CREATED", &[], &utc_text(s.created_at));
    w.raw("LAST-MODIFIED", &[], &utc_text(s.updated_at()));
    w.raw("SEQUENCE", &[], &s.revision().to_string());
    let paused = s.status() == ScheduleStatus::Paused;
    let summary = if paused {
        format!("{} (paused)", s.name)
    } else {
        s.name.clone()
    };
    w.text("SUMMARY", &summary);
    let page = format!("{base}/schedules/{}", s.id);
    let mut description = format!("Job type: {}\n", s.job_type);
    if paused {
        description.push_str("Paused: these runs happen only once it is resumed.\n");
    }
    if let Some(d) = &s.description {
        description.push_str(d);
        description.push('\n');
    }
    description.push_str(&format!("Schedule: {page}"));
    w.text("DESCRIPTION", &description);
    w.raw("URL", &[], &page);
    w.raw(
        "STATUS",
        &[],
        if paused { "TENTATIVE" } else { "CONFIRMED" },
    );
    w.text("CATEGORIES", &s.job_type);
}

fn write_event(
    w: &mut IcsWriter,
    item: &FeedItem<'_>,
    now: DateTime<Utc>,
    base: &str,
    calendars: &HolidayCalendars,
) {
    let s = item.schedule;
    w.begin("VEVENT");
    write_common(w, s, base);
    match &s.kind {
        ScheduleKind::Once { at } => w.raw("DTSTART", &[], &utc_text(*at)),
        ScheduleKind::Recurring { rule } => write_rule(w, item, rule, now, calendars),
    }
    w.end("VEVENT");
}

fn write_rule(
    w: &mut IcsWriter,
    item: &FeedItem<'_>,
    rule: &RecurrenceRule,
    now: DateTime<Utc>,
    calendars: &HolidayCalendars,
) {
    let s = item.schedule;
    let tz = s.timezone;
    let plain = client_reading(rule);
    let text = to_rrule(&plain, tz);
    let Some(start) = rule.start_date else {
        return;
    };
    let local = start.and_time(rule.time_of_day.to_naive());
    let dtstart = local.format("%Y%m%dT%H%M%S").to_string();
    if tz == Tz::UTC {
        w.raw("DTSTART", &[], &format!("{dtstart}Z"));
    } else {
        w.raw("DTSTART", &[("TZID", tz.name())], &dtstart);
    }
    for line in text.lines().filter_map(|l| l.strip_prefix("RRULE:")) {
        w.raw("RRULE", &[], line);
    }
    let (Ok(reading), Ok(Timing::Recurring(actual))) = (
        Recurrence::new(&plain, tz, calendars),
        Timing::of(s, calendars),
    ) else {
        return;
    };
    let from = window_start(now);
    let mut until = horizon(now);
    let client: Vec<DateTime<Utc>> = occurrences(&reading, from, until);
    if client.len() == MAX_SCAN
        && let Some(last) = client.last()
    {
        until = *last;
    }
    // What sgsched runs: before now what the rule with its exceptions says, from now on what
    // the scheduler plans (a paused schedule: what it would plan once resumed).
    let mut runs: Vec<DateTime<Utc>> = occurrences(&actual, from, now)
        .into_iter()
        .filter(|t| *t < now)
        .collect();
    if s.status() == ScheduleStatus::Paused {
        runs.extend(occurrences(&actual, now, until));
    } else {
        runs.extend(item.planned.iter().copied().filter(|t| *t <= until));
    }
    runs.sort_unstable();
    runs.dedup();
    let mut exdates = Vec::new();
    let mut rdates = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < client.len() || j < runs.len() {
        match (client.get(i), runs.get(j)) {
            (Some(a), Some(b)) if a == b => (i, j) = (i + 1, j + 1),
            (Some(a), Some(b)) if a < b => {
                exdates.push(*a);
                i += 1;
            }
            (Some(a), None) => {
                exdates.push(*a);
                i += 1;
            }
            (_, Some(b)) => {
                rdates.push(*b);
                j += 1;
            }
            (None, None) => break,
        }
        if exdates.len() + rdates.len() >= MAX_DIFF {
            until = client
                .get(i)
                .copied()
                .into_iter()
                .chain(runs.get(j).copied())
                .min()
                .unwrap_or(until);
            break;
        }
    }
    w.raw("X-SGSCHED-EXPANDED-UNTIL", &[], &utc_text(until));
    for chunk in exdates.chunks(8) {
        let list: Vec<String> = chunk.iter().map(|t| utc_text(*t)).collect();
        w.raw("EXDATE", &[], &list.join(","));
    }
    for chunk in rdates.chunks(8) {
        let list: Vec<String> = chunk.iter().map(|t| utc_text(*t)).collect();
        w.raw("RDATE", &[], &list.join(","));
    }
}

/// Occurrences in `[from, until]`, at most [`MAX_SCAN`].
fn occurrences(r: &Recurrence, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    r.iter_from(from - Duration::seconds(1))
        .map(|o| o.at)
        .take_while(|t| *t <= until)
        .take(MAX_SCAN)
        .collect()
}

fn write_past_run(w: &mut IcsWriter, s: &Schedule, run: &Execution) {
    w.begin("VEVENT");
    w.raw("UID", &[], &format!("{}@sgsched", run.id));
    let start = run.started_at.unwrap_or(run.scheduled_for);
    w.raw("DTSTAMP", &[], &utc_text(run.completed_at.unwrap_or(start)));
    w.raw("DTSTART", &[], &utc_text(start));
    if let Some(end) = run.completed_at.filter(|e| *e > start) {
        w.raw("DTEND", &[], &utc_text(end));
    }
    w.text("SUMMARY", &format!("{}: {}", s.name, run.status.as_str()));
    let mut description = format!("Job type: {}\nRun {}", s.job_type, run.id);
    if let Some(e) = &run.error_message {
        description.push_str(&format!("\nError: {e}"));
    }
    w.text("DESCRIPTION", &description);
    w.raw("RELATED-TO", &[], &format!("{}@sgsched", s.id));
    w.end("VEVENT");
}
