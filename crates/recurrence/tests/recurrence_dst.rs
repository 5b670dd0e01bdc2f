//! DST gaps and overlaps, asserting exact instants. Expected values are worked out from
//! the zones' rules (noted per test), not from the library under test.

use chrono::{DateTime, Utc};
use serde_json::json;
use sgsched_recurrence::recurrence::{HolidayCalendars, Recurrence, parse_rule};
use sgsched_recurrence::timezone::parse_timezone;

fn lines(rule: serde_json::Value, tz: &str, after: &str, n: usize) -> Vec<String> {
    let rule = parse_rule(&rule, "recurrence_rule").expect("valid rule");
    let tz = parse_timezone(tz).expect("known zone");
    let rec = Recurrence::new(&rule, tz, &HolidayCalendars::builtin()).expect("compiles");
    let after: DateTime<Utc> = DateTime::parse_from_rfc3339(after)
        .expect("rfc3339")
        .with_timezone(&Utc);
    rec.iter_from(after).take(n).map(|o| o.to_line()).collect()
}

// America/New_York 2026: EST→EDT Sun Mar 8 at 02:00 (07:00Z); EDT→EST Sun Nov 1 at 02:00 EDT (06:00Z).

#[test]
fn new_york_daily_in_spring_gap_shifts_forward_by_the_gap() {
    let r = json!({"frequency":"daily","time_of_day":"02:30","start_date":"2026-03-06"});
    assert_eq!(
        lines(r, "America/New_York", "2026-03-01T00:00:00Z", 4),
        [
            "2026-03-06T07:30:00Z 2026-03-06T02:30:00-05:00",
            "2026-03-07T07:30:00Z 2026-03-07T02:30:00-05:00",
            "2026-03-08T07:30:00Z 2026-03-08T03:30:00-04:00",
            "2026-03-09T06:30:00Z 2026-03-09T02:30:00-04:00",
        ]
    );
}

#[test]
fn new_york_daily_in_fall_overlap_runs_once_at_the_earlier_instant() {
    let r = json!({"frequency":"daily","time_of_day":"01:30","start_date":"2026-10-31"});
    assert_eq!(
        lines(r, "America/New_York", "2026-10-30T00:00:00Z", 3),
        [
            "2026-10-31T05:30:00Z 2026-10-31T01:30:00-04:00",
            "2026-11-01T05:30:00Z 2026-11-01T01:30:00-04:00",
            "2026-11-02T06:30:00Z 2026-11-02T01:30:00-05:00",
        ]
    );
}

#[test]
fn new_york_daily_keeps_wall_clock_across_both_transitions() {
    let r = json!({"frequency":"daily","time_of_day":"09:00","start_date":"2026-01-01"});
    assert_eq!(
        lines(r.clone(), "America/New_York", "2026-03-07T00:00:00Z", 2),
        [
            "2026-03-07T14:00:00Z 2026-03-07T09:00:00-05:00",
            "2026-03-08T13:00:00Z 2026-03-08T09:00:00-04:00",
        ]
    );
    assert_eq!(
        lines(r, "America/New_York", "2026-10-31T00:00:00Z", 2),
        [
            "2026-10-31T13:00:00Z 2026-10-31T09:00:00-04:00",
            "2026-11-01T14:00:00Z 2026-11-01T09:00:00-05:00",
        ]
    );
}

#[test]
fn new_york_weekly_sunday_in_gap() {
    let r = json!({"frequency":"weekly","days_of_week":[7],"time_of_day":"02:30","start_date":"2026-03-01"});
    assert_eq!(
        lines(r, "America/New_York", "2026-02-28T00:00:00Z", 3),
        [
            "2026-03-01T07:30:00Z 2026-03-01T02:30:00-05:00",
            "2026-03-08T07:30:00Z 2026-03-08T03:30:00-04:00",
            "2026-03-15T06:30:00Z 2026-03-15T02:30:00-04:00",
        ]
    );
}

#[test]
fn new_york_monthly_in_gap_and_overlap() {
    let r = json!({"frequency":"monthly","days_of_month":[8],"time_of_day":"02:30","start_date":"2026-02-01"});
    assert_eq!(
        lines(r, "America/New_York", "2026-02-01T00:00:00Z", 3),
        [
            "2026-02-08T07:30:00Z 2026-02-08T02:30:00-05:00",
            "2026-03-08T07:30:00Z 2026-03-08T03:30:00-04:00",
            "2026-04-08T06:30:00Z 2026-04-08T02:30:00-04:00",
        ]
    );
    let r = json!({"frequency":"monthly","days_of_month":[1],"time_of_day":"01:30","start_date":"2026-10-01"});
    assert_eq!(
        lines(r, "America/New_York", "2026-10-02T00:00:00Z", 2),
        [
            "2026-11-01T05:30:00Z 2026-11-01T01:30:00-04:00",
            "2026-12-01T06:30:00Z 2026-12-01T01:30:00-05:00",
        ]
    );
}

#[test]
fn new_york_hourly_steps_in_elapsed_time() {
    let r = json!({"frequency":"hourly","time_of_day":"00:00","start_date":"2026-03-08"});
    assert_eq!(
        lines(r, "America/New_York", "2026-03-08T04:00:00Z", 4),
        [
            "2026-03-08T05:00:00Z 2026-03-08T00:00:00-05:00",
            "2026-03-08T06:00:00Z 2026-03-08T01:00:00-05:00",
            "2026-03-08T07:00:00Z 2026-03-08T03:00:00-04:00",
            "2026-03-08T08:00:00Z 2026-03-08T04:00:00-04:00",
        ]
    );
    // In the fold the 01:00 hour runs twice: elapsed time, not wall time.
    let r = json!({"frequency":"hourly","time_of_day":"00:00","start_date":"2026-11-01"});
    assert_eq!(
        lines(r, "America/New_York", "2026-11-01T03:00:00Z", 4),
        [
            "2026-11-01T04:00:00Z 2026-11-01T00:00:00-04:00",
            "2026-11-01T05:00:00Z 2026-11-01T01:00:00-04:00",
            "2026-11-01T06:00:00Z 2026-11-01T01:00:00-05:00",
            "2026-11-01T07:00:00Z 2026-11-01T02:00:00-05:00",
        ]
    );
}

#[test]
fn new_york_minutely_every_30_minutes_across_the_gap() {
    let r = json!({"frequency":"minutely","interval":30,"time_of_day":"01:00","start_date":"2026-03-08"});
    assert_eq!(
        lines(r, "America/New_York", "2026-03-08T05:00:00Z", 4),
        [
            "2026-03-08T06:00:00Z 2026-03-08T01:00:00-05:00",
            "2026-03-08T06:30:00Z 2026-03-08T01:30:00-05:00",
            "2026-03-08T07:00:00Z 2026-03-08T03:00:00-04:00",
            "2026-03-08T07:30:00Z 2026-03-08T03:30:00-04:00",
        ]
    );
}

#[test]
fn new_york_anchor_in_gap_starts_shifted() {
    // start_date + time_of_day in the gap: the anchor is 03:30 EDT, then every 2 hours.
    let r =
        json!({"frequency":"hourly","interval":2,"time_of_day":"02:30","start_date":"2026-03-08"});
    assert_eq!(
        lines(r, "America/New_York", "2026-03-01T00:00:00Z", 2),
        [
            "2026-03-08T07:30:00Z 2026-03-08T03:30:00-04:00",
            "2026-03-08T09:30:00Z 2026-03-08T05:30:00-04:00",
        ]
    );
}

// Europe/Berlin 2026: CET→CEST Sun Mar 29 at 02:00 (01:00Z); CEST→CET Sun Oct 25 at 03:00 (01:00Z).

#[test]
fn berlin_daily_gap_and_overlap() {
    let r = json!({"frequency":"daily","time_of_day":"02:30","start_date":"2026-01-01"});
    assert_eq!(
        lines(r.clone(), "Europe/Berlin", "2026-03-28T00:00:00Z", 3),
        [
            "2026-03-28T01:30:00Z 2026-03-28T02:30:00+01:00",
            "2026-03-29T01:30:00Z 2026-03-29T03:30:00+02:00",
            "2026-03-30T00:30:00Z 2026-03-30T02:30:00+02:00",
        ]
    );
    assert_eq!(
        lines(r, "Europe/Berlin", "2026-10-24T00:00:00Z", 3),
        [
            "2026-10-24T00:30:00Z 2026-10-24T02:30:00+02:00",
            "2026-10-25T00:30:00Z 2026-10-25T02:30:00+02:00",
            "2026-10-26T01:30:00Z 2026-10-26T02:30:00+01:00",
        ]
    );
}

#[test]
fn berlin_weekly_and_monthly_on_transition_sundays() {
    let r = json!({"frequency":"weekly","days_of_week":[7],"time_of_day":"02:15","start_date":"2026-03-22"});
    assert_eq!(
        lines(r, "Europe/Berlin", "2026-03-21T00:00:00Z", 3),
        [
            "2026-03-22T01:15:00Z 2026-03-22T02:15:00+01:00",
            "2026-03-29T01:15:00Z 2026-03-29T03:15:00+02:00",
            "2026-04-05T00:15:00Z 2026-04-05T02:15:00+02:00",
        ]
    );
    let r = json!({"frequency":"monthly","days_of_month":[25],"time_of_day":"02:45","start_date":"2026-09-01"});
    assert_eq!(
        lines(r, "Europe/Berlin", "2026-09-01T00:00:00Z", 3),
        [
            "2026-09-25T00:45:00Z 2026-09-25T02:45:00+02:00",
            "2026-10-25T00:45:00Z 2026-10-25T02:45:00+02:00",
            "2026-11-25T01:45:00Z 2026-11-25T02:45:00+01:00",
        ]
    );
}

#[test]
fn berlin_hourly_and_minutely_in_the_fold() {
    let r = json!({"frequency":"hourly","time_of_day":"01:00","start_date":"2026-10-25"});
    assert_eq!(
        lines(r, "Europe/Berlin", "2026-10-24T22:00:00Z", 4),
        [
            "2026-10-24T23:00:00Z 2026-10-25T01:00:00+02:00",
            "2026-10-25T00:00:00Z 2026-10-25T02:00:00+02:00",
            "2026-10-25T01:00:00Z 2026-10-25T02:00:00+01:00",
            "2026-10-25T02:00:00Z 2026-10-25T03:00:00+01:00",
        ]
    );
    let r = json!({"frequency":"minutely","interval":45,"time_of_day":"01:30","start_date":"2026-03-29"});
    assert_eq!(
        lines(r, "Europe/Berlin", "2026-03-29T00:00:00Z", 3),
        [
            "2026-03-29T00:30:00Z 2026-03-29T01:30:00+01:00",
            "2026-03-29T01:15:00Z 2026-03-29T03:15:00+02:00",
            "2026-03-29T02:00:00Z 2026-03-29T04:00:00+02:00",
        ]
    );
}

// Australia/Lord_Howe: +10:30 standard, +11 in DST, a 30-minute shift. 2026: DST ends
// Sun Apr 5 at 02:00 (+11) → 01:30 (+10:30), i.e. 15:00Z Apr 4; starts Sun Oct 4 at 02:00
// (+10:30) → 02:30 (+11), i.e. 15:30Z Oct 3.

#[test]
fn lord_howe_daily_half_hour_gap_and_overlap() {
    let r = json!({"frequency":"daily","time_of_day":"02:15","start_date":"2026-10-03"});
    assert_eq!(
        lines(r, "Australia/Lord_Howe", "2026-10-01T00:00:00Z", 3),
        [
            "2026-10-02T15:45:00Z 2026-10-03T02:15:00+10:30",
            "2026-10-03T15:45:00Z 2026-10-04T02:45:00+11:00",
            "2026-10-04T15:15:00Z 2026-10-05T02:15:00+11:00",
        ]
    );
    let r = json!({"frequency":"daily","time_of_day":"01:45","start_date":"2026-04-04"});
    assert_eq!(
        lines(r, "Australia/Lord_Howe", "2026-04-01T00:00:00Z", 3),
        [
            "2026-04-03T14:45:00Z 2026-04-04T01:45:00+11:00",
            "2026-04-04T14:45:00Z 2026-04-05T01:45:00+11:00",
            "2026-04-05T15:15:00Z 2026-04-06T01:45:00+10:30",
        ]
    );
}

#[test]
fn lord_howe_weekly_monthly_hourly_minutely() {
    let r = json!({"frequency":"weekly","days_of_week":[7],"time_of_day":"02:10","start_date":"2026-09-27"});
    assert_eq!(
        lines(r, "Australia/Lord_Howe", "2026-09-01T00:00:00Z", 2),
        [
            "2026-09-26T15:40:00Z 2026-09-27T02:10:00+10:30",
            "2026-10-03T15:40:00Z 2026-10-04T02:40:00+11:00",
        ]
    );
    let r = json!({"frequency":"monthly","days_of_month":[4],"time_of_day":"02:00","start_date":"2026-09-01"});
    assert_eq!(
        lines(r, "Australia/Lord_Howe", "2026-09-01T00:00:00Z", 3),
        [
            "2026-09-03T15:30:00Z 2026-09-04T02:00:00+10:30",
            "2026-10-03T15:30:00Z 2026-10-04T02:30:00+11:00",
            "2026-11-03T15:00:00Z 2026-11-04T02:00:00+11:00",
        ]
    );
    let r = json!({"frequency":"minutely","interval":15,"time_of_day":"01:30","start_date":"2026-04-05"});
    assert_eq!(
        lines(r, "Australia/Lord_Howe", "2026-04-04T14:00:00Z", 5),
        [
            "2026-04-04T14:30:00Z 2026-04-05T01:30:00+11:00",
            "2026-04-04T14:45:00Z 2026-04-05T01:45:00+11:00",
            "2026-04-04T15:00:00Z 2026-04-05T01:30:00+10:30",
            "2026-04-04T15:15:00Z 2026-04-05T01:45:00+10:30",
            "2026-04-04T15:30:00Z 2026-04-05T02:00:00+10:30",
        ]
    );
    let r = json!({"frequency":"hourly","time_of_day":"01:00","start_date":"2026-10-04"});
    assert_eq!(
        lines(r, "Australia/Lord_Howe", "2026-10-03T00:00:00Z", 3),
        [
            "2026-10-03T14:30:00Z 2026-10-04T01:00:00+10:30",
            "2026-10-03T15:30:00Z 2026-10-04T02:30:00+11:00",
            "2026-10-03T16:30:00Z 2026-10-04T03:30:00+11:00",
        ]
    );
}

// America/Santiago 2026 (rules since 2023: Apr Sun>=2 at 03:00Z, Sep Sun>=2 at 04:00Z):
// -03→-04 Sun Apr 5 at 00:00 → Sat 23:00 (overlap 23:00-24:00 Apr 4);
// -04→-03 Sun Sep 6 at 00:00 → 01:00 (gap 00:00-01:00 Sep 6).

#[test]
fn santiago_gap_at_midnight_and_overlap_before_it() {
    let r = json!({"frequency":"daily","time_of_day":"00:30","start_date":"2026-09-05"});
    assert_eq!(
        lines(r, "America/Santiago", "2026-09-01T00:00:00Z", 3),
        [
            "2026-09-05T04:30:00Z 2026-09-05T00:30:00-04:00",
            "2026-09-06T04:30:00Z 2026-09-06T01:30:00-03:00",
            "2026-09-07T03:30:00Z 2026-09-07T00:30:00-03:00",
        ]
    );
    let r = json!({"frequency":"daily","time_of_day":"23:30","start_date":"2026-04-03"});
    assert_eq!(
        lines(r, "America/Santiago", "2026-04-01T00:00:00Z", 3),
        [
            "2026-04-04T02:30:00Z 2026-04-03T23:30:00-03:00",
            "2026-04-05T02:30:00Z 2026-04-04T23:30:00-03:00",
            "2026-04-06T03:30:00Z 2026-04-05T23:30:00-04:00",
        ]
    );
}

#[test]
fn santiago_weekly_monthly_hourly() {
    let r = json!({"frequency":"weekly","days_of_week":[7],"time_of_day":"00:00","start_date":"2026-08-30"});
    assert_eq!(
        lines(r, "America/Santiago", "2026-08-01T00:00:00Z", 3),
        [
            "2026-08-30T04:00:00Z 2026-08-30T00:00:00-04:00",
            "2026-09-06T04:00:00Z 2026-09-06T01:00:00-03:00",
            "2026-09-13T03:00:00Z 2026-09-13T00:00:00-03:00",
        ]
    );
    let r = json!({"frequency":"monthly","days_of_month":[6],"time_of_day":"00:20","start_date":"2026-08-01"});
    assert_eq!(
        lines(r, "America/Santiago", "2026-08-01T00:00:00Z", 3),
        [
            "2026-08-06T04:20:00Z 2026-08-06T00:20:00-04:00",
            "2026-09-06T04:20:00Z 2026-09-06T01:20:00-03:00",
            "2026-10-06T03:20:00Z 2026-10-06T00:20:00-03:00",
        ]
    );
    let r = json!({"frequency":"hourly","time_of_day":"22:00","start_date":"2026-04-04"});
    assert_eq!(
        lines(r, "America/Santiago", "2026-04-05T00:00:00Z", 4),
        [
            "2026-04-05T01:00:00Z 2026-04-04T22:00:00-03:00",
            "2026-04-05T02:00:00Z 2026-04-04T23:00:00-03:00",
            "2026-04-05T03:00:00Z 2026-04-04T23:00:00-04:00",
            "2026-04-05T04:00:00Z 2026-04-05T00:00:00-04:00",
        ]
    );
}

// Africa/Cairo, DST again since 2023: +02→+03 last Friday of April at 00:00 (gap 00:00-01:00;
// 2026: Fri Apr 24, 22:00Z Apr 23), +03→+02 last Thursday of October at 24:00 (overlap
// 23:00-24:00; 2026: Thu Oct 29, 21:00Z).

#[test]
fn cairo_gap_at_midnight() {
    let r = json!({"frequency":"daily","time_of_day":"00:00","start_date":"2026-04-23"});
    assert_eq!(
        lines(r, "Africa/Cairo", "2026-04-20T00:00:00Z", 3),
        [
            "2026-04-22T22:00:00Z 2026-04-23T00:00:00+02:00",
            "2026-04-23T22:00:00Z 2026-04-24T01:00:00+03:00",
            "2026-04-24T21:00:00Z 2026-04-25T00:00:00+03:00",
        ]
    );
    let r = json!({"frequency":"weekly","days_of_week":[5],"time_of_day":"00:30","start_date":"2026-04-17"});
    assert_eq!(
        lines(r, "Africa/Cairo", "2026-04-10T00:00:00Z", 3),
        [
            "2026-04-16T22:30:00Z 2026-04-17T00:30:00+02:00",
            "2026-04-23T22:30:00Z 2026-04-24T01:30:00+03:00",
            "2026-04-30T21:30:00Z 2026-05-01T00:30:00+03:00",
        ]
    );
    let r = json!({"frequency":"monthly","days_of_month":[24],"time_of_day":"00:15","start_date":"2026-03-01"});
    assert_eq!(
        lines(r, "Africa/Cairo", "2026-03-01T00:00:00Z", 3),
        [
            "2026-03-23T22:15:00Z 2026-03-24T00:15:00+02:00",
            "2026-04-23T22:15:00Z 2026-04-24T01:15:00+03:00",
            "2026-05-23T21:15:00Z 2026-05-24T00:15:00+03:00",
        ]
    );
}

#[test]
fn cairo_hourly_minutely_and_overlap() {
    let r = json!({"frequency":"hourly","time_of_day":"22:00","start_date":"2026-04-23"});
    assert_eq!(
        lines(r, "Africa/Cairo", "2026-04-23T19:00:00Z", 4),
        [
            "2026-04-23T20:00:00Z 2026-04-23T22:00:00+02:00",
            "2026-04-23T21:00:00Z 2026-04-23T23:00:00+02:00",
            "2026-04-23T22:00:00Z 2026-04-24T01:00:00+03:00",
            "2026-04-23T23:00:00Z 2026-04-24T02:00:00+03:00",
        ]
    );
    // Minutely with a day filter: Friday the 24th starts at 01:00 local.
    let r = json!({"frequency":"minutely","interval":20,"days_of_week":[5],"time_of_day":"00:00","start_date":"2026-04-20"});
    assert_eq!(
        lines(r, "Africa/Cairo", "2026-04-20T00:00:00Z", 2),
        [
            "2026-04-23T22:00:00Z 2026-04-24T01:00:00+03:00",
            "2026-04-23T22:20:00Z 2026-04-24T01:20:00+03:00",
        ]
    );
    let r = json!({"frequency":"daily","time_of_day":"23:30","start_date":"2026-10-28"});
    assert_eq!(
        lines(r, "Africa/Cairo", "2026-10-27T00:00:00Z", 3),
        [
            "2026-10-28T20:30:00Z 2026-10-28T23:30:00+03:00",
            "2026-10-29T20:30:00Z 2026-10-29T23:30:00+03:00",
            "2026-10-30T21:30:00Z 2026-10-30T23:30:00+02:00",
        ]
    );
}

#[test]
fn two_wall_times_landing_on_one_instant_run_once() {
    // 02:30 shifts to 03:30 on Mar 8, the instant of the 03:30 run: one run, not two.
    let r =
        json!({"frequency":"daily","hours":[2,3],"time_of_day":"02:30","start_date":"2026-03-07"});
    assert_eq!(
        lines(r, "America/New_York", "2026-03-07T00:00:00Z", 5),
        [
            "2026-03-07T07:30:00Z 2026-03-07T02:30:00-05:00",
            "2026-03-07T08:30:00Z 2026-03-07T03:30:00-05:00",
            "2026-03-08T07:30:00Z 2026-03-08T03:30:00-04:00",
            "2026-03-09T06:30:00Z 2026-03-09T02:30:00-04:00",
            "2026-03-09T07:30:00Z 2026-03-09T03:30:00-04:00",
        ]
    );
}

#[test]
fn the_streaming_resolver_agrees_with_the_one_conversion_function() {
    use chrono::{Duration, NaiveDate};
    use sgsched_recurrence::timezone::{LocalResolver, resolve_local};
    for name in [
        "America/New_York",
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "America/Santiago",
        "Africa/Cairo",
        "Africa/Casablanca",
        "Pacific/Apia",
    ] {
        let tz = parse_timezone(name).expect("zone");
        let mut resolver = LocalResolver::new(tz);
        let mut local = NaiveDate::from_ymd_opt(2009, 1, 1)
            .expect("d")
            .and_hms_opt(0, 7, 0)
            .expect("t");
        // Every 37 minutes for 20 years: crosses every transition at many wall times.
        for _ in 0..(20 * 365 * 24 * 60 / 37) {
            assert_eq!(
                resolver.resolve(local),
                resolve_local(&tz, local),
                "{name} {local}"
            );
            local += Duration::minutes(37);
        }
    }
}
