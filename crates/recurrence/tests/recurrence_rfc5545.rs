//! The RFC 5545 parts beyond the brief's rule, with exact instants: BYWEEKNO with WKST,
//! BYYEARDAY, hourly BYMINUTE, RDATE, EXDATE date-times, several RRULEs, UNTIL, refusals.

use chrono::{DateTime, Utc};
use serde_json::json;
use sgsched_recurrence::recurrence::{
    HolidayCalendars, Recurrence, RecurrenceRule, parse_rrule, parse_rule, to_rrule,
};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

fn compile_text(text: &str) -> Recurrence {
    let (rule, tz) = parse_rrule(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    Recurrence::new(
        &rule,
        tz.unwrap_or(chrono_tz::UTC),
        &HolidayCalendars::builtin(),
    )
    .expect("compiles")
}

/// The first `n` occurrences after 1900 as local `YYYY-MM-DDTHH:MM` (with offset).
fn local_runs(r: &Recurrence, n: usize) -> Vec<String> {
    r.iter_from(utc("1900-01-01T00:00:00Z"))
        .take(n)
        .map(|o| o.local.format("%Y-%m-%dT%H:%M%:z").to_string())
        .collect()
}

fn utc_runs(r: &Recurrence, n: usize) -> Vec<String> {
    r.iter_from(utc("1900-01-01T00:00:00Z"))
        .take(n)
        .map(|o| o.at.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

fn round_trips(text: &str) -> RecurrenceRule {
    let (rule, tz) = parse_rrule(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let tz = tz.unwrap_or(chrono_tz::UTC);
    let again = to_rrule(&rule, tz);
    assert_eq!(
        parse_rrule(&again).expect("written text parses"),
        (rule.clone(), Some(tz)),
        "{again}"
    );
    let json = serde_json::to_value(&rule).expect("json");
    assert_eq!(parse_rule(&json, "").expect("json parses"), rule);
    rule
}

#[test]
fn byweekno_monday_of_week_20_rfc_example() {
    let text =
        "DTSTART;TZID=America/New_York:19970512T090000\nRRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO";
    let r = compile_text(text);
    assert_eq!(
        local_runs(&r, 3),
        [
            "1997-05-12T09:00-04:00",
            "1998-05-11T09:00-04:00",
            "1999-05-17T09:00-04:00"
        ]
    );
    assert_eq!(round_trips(text).weeks_of_year, [20]);
}

#[test]
fn byweekno_follows_wkst() {
    // 2026 starts on a Thursday: from Monday, week 1 is 2025-12-29..2026-01-04; from Sunday
    // (only three days of 2026 in the week of January 1) it is 2026-01-04..10.
    let mo =
        compile_text("DTSTART:20260101T120000Z\nRRULE:FREQ=YEARLY;BYWEEKNO=1;BYDAY=SA;COUNT=2");
    assert_eq!(utc_runs(&mo, 2), ["2026-01-03T12:00Z", "2027-01-09T12:00Z"]);
    let su = compile_text(
        "DTSTART:20260101T120000Z\nRRULE:FREQ=YEARLY;BYWEEKNO=1;BYDAY=SA;WKST=SU;COUNT=2",
    );
    assert_eq!(utc_runs(&su, 2), ["2026-01-10T12:00Z", "2027-01-09T12:00Z"]);
    // All seven days of a week when nothing else is given, only those of the year.
    let all = compile_text("DTSTART:20260101T080000Z\nRRULE:FREQ=YEARLY;BYWEEKNO=1;COUNT=5");
    assert_eq!(
        utc_runs(&all, 5),
        [
            "2026-01-01T08:00Z",
            "2026-01-02T08:00Z",
            "2026-01-03T08:00Z",
            "2026-01-04T08:00Z",
            "2027-01-04T08:00Z"
        ]
    );
}

#[test]
fn byweekno_53_and_negative_weeks() {
    // Years with 53 ISO weeks from 2026: 2026, 2032, 2037.
    let w53 = compile_text(
        "DTSTART;TZID=Europe/Berlin:20260101T100000\nRRULE:FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
    );
    assert_eq!(
        local_runs(&w53, 3),
        [
            "2026-12-28T10:00+01:00",
            "2032-12-27T10:00+01:00",
            "2037-12-28T10:00+01:00"
        ]
    );
    let last = compile_text(
        "DTSTART;TZID=Europe/Berlin:20260101T100000\nRRULE:FREQ=YEARLY;BYWEEKNO=-1;BYDAY=MO",
    );
    assert_eq!(
        local_runs(&last, 2),
        ["2026-12-28T10:00+01:00", "2027-12-27T10:00+01:00"]
    );
}

#[test]
fn byyearday_rfc_example_and_negative_days() {
    let text = "DTSTART;TZID=America/New_York:19970101T090000\nRRULE:FREQ=YEARLY;COUNT=10;BYYEARDAY=1,100,200";
    let r = compile_text(text);
    let runs = local_runs(&r, 11);
    assert_eq!(runs.len(), 10);
    assert_eq!(
        &runs[..4],
        [
            "1997-01-01T09:00-05:00",
            "1997-04-10T09:00-04:00",
            "1997-07-19T09:00-04:00",
            "1998-01-01T09:00-05:00"
        ]
    );
    // 2000 is a leap year: day 100 is April 9.
    assert_eq!(&runs[9..], ["2000-01-01T09:00-05:00"]);
    let rule = round_trips(text);
    assert_eq!(rule.days_of_year, [1, 100, 200]);
    let last = compile_text("DTSTART:20230101T000000Z\nRRULE:FREQ=YEARLY;BYYEARDAY=-1,-366");
    // -366 exists in leap years only (2024-01-01).
    assert_eq!(
        utc_runs(&last, 4),
        [
            "2023-12-31T00:00Z",
            "2024-01-01T00:00Z",
            "2024-12-31T00:00Z",
            "2025-12-31T00:00Z"
        ]
    );
}

#[test]
fn a_filter_that_never_matches_ends() {
    for text in [
        "DTSTART:20260101T000000Z\nRRULE:FREQ=YEARLY;BYYEARDAY=366;BYMONTH=2",
        "DTSTART:20260101T000000Z\nRRULE:FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6",
        "DTSTART:20260101T000000Z\nRRULE:FREQ=HOURLY;BYYEARDAY=366;BYMONTH=2",
    ] {
        let r = compile_text(text);
        assert_eq!(r.next_after(utc("2026-01-01T00:00:00Z")), None, "{text}");
    }
}

#[test]
fn byyearday_limits_hourly_and_minutely() {
    let r = compile_text("DTSTART:20260101T220000Z\nRRULE:FREQ=HOURLY;INTERVAL=3;BYYEARDAY=2");
    assert_eq!(
        utc_runs(&r, 3),
        [
            "2026-01-02T01:00Z",
            "2026-01-02T04:00Z",
            "2026-01-02T07:00Z"
        ]
    );
}

#[test]
fn rfc_refusals_for_year_parts() {
    let part = |t: &str| parse_rrule(t).expect_err(t);
    for freq in ["DAILY", "WEEKLY", "MONTHLY"] {
        let e = part(&format!("RRULE:FREQ={freq};BYYEARDAY=1"));
        assert_eq!(e.part, "BYYEARDAY");
        assert!(e.message.contains("RFC 5545"), "{e}");
    }
    for freq in ["DAILY", "WEEKLY", "MONTHLY", "HOURLY"] {
        assert_eq!(
            part(&format!("RRULE:FREQ={freq};BYWEEKNO=1")).part,
            "BYWEEKNO"
        );
    }
    assert_eq!(part("RRULE:FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO").part, "BYDAY");
    assert_eq!(part("RRULE:FREQ=YEARLY;BYWEEKNO=54").part, "BYWEEKNO");
    assert_eq!(part("RRULE:FREQ=YEARLY;BYYEARDAY=0").part, "BYYEARDAY");
    assert_eq!(part("RRULE:FREQ=YEARLY;BYYEARDAY=-367").part, "BYYEARDAY");
    let e = parse_rule(
        &json!({"frequency":"yearly","time_of_day":"09:00","days_of_year":[0, 400],"weeks_of_year":["x"]}),
        "r",
    )
    .expect_err("invalid");
    let mut fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "r.days_of_year[0]",
            "r.days_of_year[1]",
            "r.weeks_of_year[0]"
        ],
        "{e:?}"
    );
}

#[test]
fn hourly_byminute_expands_each_hour_from_the_start() {
    let text = "DTSTART:20260301T091000Z\nRRULE:FREQ=HOURLY;BYMINUTE=6,18";
    let r = compile_text(text);
    assert_eq!(
        utc_runs(&r, 4),
        [
            "2026-03-01T09:18Z",
            "2026-03-01T10:06Z",
            "2026-03-01T10:18Z",
            "2026-03-01T11:06Z"
        ]
    );
    // From inside an hour: its later minute is still ahead.
    let next = r.next_after(utc("2026-03-01T10:10:00Z")).expect("next");
    assert_eq!(next.at, utc("2026-03-01T10:18:00Z"));
    let next = r.next_after(utc("2026-03-01T10:18:00Z")).expect("next");
    assert_eq!(next.at, utc("2026-03-01T11:06:00Z"));
    assert_eq!(round_trips(text).minutes, [6, 18]);
    let counted = compile_text("DTSTART:20260301T091000Z\nRRULE:FREQ=HOURLY;BYMINUTE=6,18;COUNT=3");
    assert_eq!(utc_runs(&counted, 5).len(), 3);
}

#[test]
fn hourly_byminute_steps_elapsed_hours_across_dst() {
    // Every second hour from 00:00 EST on the spring-forward day: 05:00Z, 07:00Z, 09:00Z.
    let r = compile_text(
        "DTSTART;TZID=America/New_York:20260308T001000\nRRULE:FREQ=HOURLY;INTERVAL=2;BYMINUTE=6,18",
    );
    assert_eq!(
        local_runs(&r, 5),
        [
            "2026-03-08T00:18-05:00",
            "2026-03-08T03:06-04:00",
            "2026-03-08T03:18-04:00",
            "2026-03-08T05:06-04:00",
            "2026-03-08T05:18-04:00"
        ]
    );
}

#[test]
fn byhour_limits_hourly_and_both_limit_minutely() {
    let hourly =
        compile_text("DTSTART:20260301T080000Z\nRRULE:FREQ=HOURLY;BYHOUR=9,10;BYMINUTE=0,30");
    assert_eq!(
        utc_runs(&hourly, 5),
        [
            "2026-03-01T09:00Z",
            "2026-03-01T09:30Z",
            "2026-03-01T10:00Z",
            "2026-03-01T10:30Z",
            "2026-03-02T09:00Z"
        ]
    );
    let minutely = compile_text(
        "DTSTART:20260301T090000Z\nRRULE:FREQ=MINUTELY;INTERVAL=20;BYHOUR=10;BYMINUTE=0,40",
    );
    assert_eq!(
        utc_runs(&minutely, 3),
        [
            "2026-03-01T10:00Z",
            "2026-03-01T10:40Z",
            "2026-03-02T10:00Z"
        ]
    );
    // Hourly every 5 hours at minute 30, kept only at 10:xx: the hours counted from 00:00
    // reach 10 every 5 days (00, 05, 10, 15, 20, 01, …), exactly.
    let sparse = compile_text(
        "DTSTART:20260301T000000Z\nRRULE:FREQ=HOURLY;INTERVAL=5;BYHOUR=10;BYMINUTE=30",
    );
    assert_eq!(
        utc_runs(&sparse, 2),
        ["2026-03-01T10:30Z", "2026-03-06T10:30Z"]
    );
}
