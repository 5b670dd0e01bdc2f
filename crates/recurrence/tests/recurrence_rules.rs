//! Every frequency and preset, interval/count/end semantics, exceptions and holidays,
//! validation and timezone lookup. Times in UTC unless a zone is the point.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sgsched_recurrence::recurrence::{
    Frequency, HolidayCalendars, Recurrence, RecurrenceRule, builtin_calendar_names, parse_rule,
    presets,
};
use sgsched_recurrence::timezone::{format_occurrence_line, parse_timezone, zones_with_offsets};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn compile(rule: &serde_json::Value, tz: &str, cals: &HolidayCalendars) -> Recurrence {
    let rule = parse_rule(rule, "recurrence_rule").expect("valid rule");
    Recurrence::new(&rule, parse_timezone(tz).expect("zone"), cals).expect("compiles")
}

/// The next `n` local times ("YYYY-MM-DD HH:MM") after `after`.
fn local(rule: serde_json::Value, tz: &str, after: &str, n: usize) -> Vec<String> {
    let rec = compile(&rule, tz, &HolidayCalendars::builtin());
    rec.iter_from(utc(after))
        .take(n)
        .map(|o| o.local.format("%Y-%m-%d %H:%M").to_string())
        .collect()
}

fn utc_lines(rule: serde_json::Value, after: &str, n: usize) -> Vec<String> {
    let rec = compile(&rule, "UTC", &HolidayCalendars::builtin());
    rec.iter_from(utc(after))
        .take(n)
        .map(|o| o.at.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

#[test]
fn brief_example_json_round_trips_through_serde() {
    let v = json!({"frequency":"weekly","interval":2,"days_of_week":[1],"time_of_day":"09:00","start_date":"2026-01-05",
        "end_date":null,"count":null,"exceptions":["2026-12-25",
        {"date":"2026-12-24","action":"reschedule","to":"2026-12-23T10:00"},
        {"holiday_calendar":"US","action":"skip"},{"holiday_calendar":"US","action":"next_business_day"}]});
    let rule = parse_rule(&v, "recurrence_rule").expect("valid");
    assert_eq!(rule.exceptions.len(), 4);
    let back = serde_json::to_value(&rule).expect("serializes");
    assert_eq!(back, v);
    let typed: RecurrenceRule = serde_json::from_value(v).expect("serde accepts it too");
    assert_eq!(typed, rule);
    assert!(
        serde_json::from_value::<RecurrenceRule>(
            json!({"frequency":"daily","time_of_day":"09:00","bogus":1})
        )
        .is_err()
    );
}

#[test]
fn minutely_and_hourly_step_from_the_anchor() {
    let r = json!({"frequency":"minutely","interval":30,"time_of_day":"08:10","start_date":"2026-01-01"});
    assert_eq!(
        utc_lines(r, "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-01T08:10Z",
            "2026-01-01T08:40Z",
            "2026-01-01T09:10Z"
        ]
    );
    let r =
        json!({"frequency":"hourly","interval":5,"time_of_day":"01:00","start_date":"2026-01-01"});
    // 2026-03-01 00:00 is 1415 hours after the anchor, a run itself; "after" is strict.
    assert_eq!(
        utc_lines(r, "2026-03-01T00:00:00Z", 2),
        ["2026-03-01T05:00Z", "2026-03-01T10:00Z"]
    );
}

#[test]
fn daily_weekly_monthly_yearly() {
    let r =
        json!({"frequency":"daily","interval":3,"time_of_day":"09:00","start_date":"2026-01-01"});
    // Mar 2 is day 60 after Jan 1, a multiple of 3.
    assert_eq!(
        utc_lines(r, "2026-03-01T12:00:00Z", 2),
        ["2026-03-02T09:00Z", "2026-03-05T09:00Z"]
    );
    let r = json!({"frequency":"weekly","days_of_week":[1,3,5],"time_of_day":"18:00","start_date":"2026-01-01"});
    assert_eq!(
        utc_lines(r, "2026-01-01T00:00:00Z", 4),
        [
            "2026-01-02T18:00Z",
            "2026-01-05T18:00Z",
            "2026-01-07T18:00Z",
            "2026-01-09T18:00Z"
        ]
    );
    let r = json!({"frequency":"monthly","days_of_month":[1,15],"time_of_day":"12:00","start_date":"2026-01-10"});
    assert_eq!(
        utc_lines(r, "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-15T12:00Z",
            "2026-02-01T12:00Z",
            "2026-02-15T12:00Z"
        ]
    );
    let r = json!({"frequency":"yearly","months":[1],"days_of_month":[1],"time_of_day":"00:00","start_date":"2026-01-01"});
    assert_eq!(
        utc_lines(r, "2025-12-31T00:00:00Z", 2),
        ["2026-01-01T00:00Z", "2027-01-01T00:00Z"]
    );
}

#[test]
fn omitted_parts_come_from_start_date() {
    // Weekly without days: the start's weekday (Wednesday); monthly: its day; yearly: its date.
    let r = json!({"frequency":"weekly","time_of_day":"09:00","start_date":"2026-01-07"});
    assert_eq!(
        utc_lines(r, "2026-01-01T00:00:00Z", 2),
        ["2026-01-07T09:00Z", "2026-01-14T09:00Z"]
    );
    let r = json!({"frequency":"monthly","time_of_day":"09:00","start_date":"2026-01-31"});
    assert_eq!(
        utc_lines(r, "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-31T09:00Z",
            "2026-03-31T09:00Z",
            "2026-05-31T09:00Z"
        ]
    );
    let r = json!({"frequency":"yearly","time_of_day":"09:00","start_date":"2026-07-04"});
    assert_eq!(
        utc_lines(r, "2026-01-01T00:00:00Z", 2),
        ["2026-07-04T09:00Z", "2027-07-04T09:00Z"]
    );
}

#[test]
fn interval_counts_from_start_date_and_start_is_only_an_occurrence_when_it_matches() {
    // Start on Wednesday Jan 7; weeks start on Monday, so week 0 is Jan 5 (before the start).
    let r = json!({"frequency":"weekly","interval":2,"days_of_week":[1],"time_of_day":"09:00","start_date":"2026-01-07"});
    assert_eq!(
        utc_lines(r.clone(), "2026-01-01T00:00:00Z", 2),
        ["2026-01-19T09:00Z", "2026-02-02T09:00Z"]
    );
    // June 1 is 21 weeks after Jan 5: an odd week, so the next run is June 8.
    assert_eq!(
        utc_lines(r, "2026-06-01T00:00:00Z", 1),
        ["2026-06-08T09:00Z"]
    );
    let r = json!({"frequency":"monthly","interval":5,"days_of_month":[10],"time_of_day":"09:00","start_date":"2026-01-20"});
    assert_eq!(
        utc_lines(r, "2026-01-01T00:00:00Z", 2),
        ["2026-06-10T09:00Z", "2026-11-10T09:00Z"]
    );
}

#[test]
fn days_of_month_31_and_minus_1() {
    let r = json!({"frequency":"monthly","days_of_month":[31],"time_of_day":"09:00","start_date":"2026-01-01"});
    assert_eq!(
        local(r, "UTC", "2026-01-01T00:00:00Z", 5),
        [
            "2026-01-31 09:00",
            "2026-03-31 09:00",
            "2026-05-31 09:00",
            "2026-07-31 09:00",
            "2026-08-31 09:00"
        ]
    );
    let r = json!({"frequency":"monthly","days_of_month":[-1],"time_of_day":"09:00","start_date":"2027-12-01"});
    assert_eq!(
        local(r, "UTC", "2027-12-01T00:00:00Z", 4),
        [
            "2027-12-31 09:00",
            "2028-01-31 09:00",
            "2028-02-29 09:00",
            "2028-03-31 09:00"
        ]
    );
}

#[test]
fn february_29_yearly() {
    let r = json!({"frequency":"yearly","time_of_day":"09:00","start_date":"2024-02-29"});
    assert_eq!(
        local(r, "UTC", "2024-01-01T00:00:00Z", 3),
        ["2024-02-29 09:00", "2028-02-29 09:00", "2032-02-29 09:00"]
    );
    // 2100 is not a leap year.
    let r = json!({"frequency":"yearly","months":[2],"days_of_month":[29],"time_of_day":"09:00","start_date":"2096-01-01"});
    assert_eq!(
        local(r, "UTC", "2096-03-01T00:00:00Z", 1),
        ["2104-02-29 09:00"]
    );
}

fn assert_none_quickly(rule: serde_json::Value) {
    let rec = compile(&rule, "Europe/Berlin", &HolidayCalendars::builtin());
    let t = Instant::now();
    assert_eq!(rec.next_after(utc("2026-01-01T00:00:00Z")), None, "{rule}");
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "took {:?} for {rule}",
        t.elapsed()
    );
}

#[test]
fn rules_that_never_fire_answer_none_in_bounded_time() {
    assert_none_quickly(
        json!({"frequency":"monthly","months":[2],"days_of_month":[30],"time_of_day":"09:00","start_date":"2026-01-01"}),
    );
    assert_none_quickly(
        json!({"frequency":"yearly","months":[4],"days_of_month":[31],"time_of_day":"09:00","start_date":"2026-01-01"}),
    );
    assert_none_quickly(
        json!({"frequency":"daily","months":[2],"days_of_month":[31],"time_of_day":"09:00","start_date":"2026-01-01"}),
    );
    assert_none_quickly(
        json!({"frequency":"minutely","months":[2],"days_of_month":[30],"time_of_day":"09:00","start_date":"2026-01-01"}),
    );
    assert_none_quickly(
        json!({"frequency":"daily","interval":7,"days_of_week":[2],"time_of_day":"09:00","start_date":"2026-01-05"}),
    );
    assert_none_quickly(
        json!({"frequency":"hourly","interval":168,"days_of_week":[2],"time_of_day":"09:00","start_date":"2026-01-05"}),
    );
    assert_none_quickly(
        json!({"frequency":"daily","time_of_day":"09:00","start_date":"2020-01-01","end_date":"2025-12-31"}),
    );
    assert_none_quickly(
        json!({"frequency":"daily","count":3,"time_of_day":"09:00","start_date":"2026-01-01",
        "exceptions":["2026-01-01","2026-01-02","2026-01-03"]}),
    );
    assert_none_quickly(
        json!({"frequency":"monthly","days_of_week":[{"day":1,"ordinal":5}],"days_of_month":[1],"time_of_day":"09:00","start_date":"2026-01-01"}),
    );
}

#[test]
fn count_and_end_date() {
    let r = json!({"frequency":"daily","count":3,"time_of_day":"09:00","start_date":"2026-01-01"});
    assert_eq!(
        utc_lines(r.clone(), "2025-01-01T00:00:00Z", 10),
        [
            "2026-01-01T09:00Z",
            "2026-01-02T09:00Z",
            "2026-01-03T09:00Z"
        ]
    );
    assert_eq!(
        utc_lines(r, "2026-01-02T09:00:00Z", 10),
        ["2026-01-03T09:00Z"]
    );
    let r = json!({"frequency":"daily","time_of_day":"09:00","start_date":"2026-01-01","end_date":"2026-01-03"});
    assert_eq!(
        utc_lines(r, "2025-01-01T00:00:00Z", 10),
        [
            "2026-01-01T09:00Z",
            "2026-01-02T09:00Z",
            "2026-01-03T09:00Z"
        ]
    );
    let r = json!({"frequency":"hourly","interval":8,"time_of_day":"00:00","start_date":"2026-01-01","end_date":"2026-01-02"});
    assert_eq!(utc_lines(r, "2025-01-01T00:00:00Z", 10).len(), 6);
}

#[test]
fn count_counts_the_rule_before_exceptions_like_rfc_5545() {
    let r = json!({"frequency":"daily","count":5,"time_of_day":"09:00","start_date":"2026-01-01",
        "exceptions":["2026-01-03", {"date":"2026-01-04","action":"reschedule","to":"2026-01-10T07:00"}]});
    assert_eq!(
        utc_lines(r.clone(), "2025-01-01T00:00:00Z", 10),
        [
            "2026-01-01T09:00Z",
            "2026-01-02T09:00Z",
            "2026-01-05T09:00Z",
            "2026-01-10T07:00Z"
        ]
    );
    assert_eq!(
        utc_lines(r, "2026-01-05T09:00:00Z", 10),
        ["2026-01-10T07:00Z"]
    );
}

#[test]
fn skip_and_reschedule() {
    let r = json!({"frequency":"daily","time_of_day":"09:00","start_date":"2026-12-20",
        "exceptions":["2026-12-25", {"date":"2026-12-24","action":"reschedule","to":"2026-12-23T10:00"},
                      {"date":"2027-06-01","action":"skip"}]});
    assert_eq!(
        local(r.clone(), "Europe/Paris", "2026-12-22T12:00:00Z", 4),
        [
            "2026-12-23 09:00",
            "2026-12-23 10:00",
            "2026-12-26 09:00",
            "2026-12-27 09:00"
        ]
    );
    assert_eq!(
        local(r, "Europe/Paris", "2027-05-31T12:00:00Z", 1),
        ["2027-06-02 09:00"]
    );
    // A reschedule of a date without a run does nothing.
    let r = json!({"frequency":"weekly","days_of_week":[1],"time_of_day":"09:00","start_date":"2026-01-01",
        "exceptions":[{"date":"2026-01-06","action":"reschedule","to":"2026-01-07T10:00"}]});
    assert_eq!(
        utc_lines(r, "2026-01-01T00:00:00Z", 2),
        ["2026-01-05T09:00Z", "2026-01-12T09:00Z"]
    );
}

#[test]
fn holiday_skip_and_next_business_day() {
    // US 2026: Independence Day observed Friday July 3; Christmas Friday December 25.
    let skip = json!({"frequency":"weekly","days_of_week":[5],"time_of_day":"09:00","start_date":"2026-06-01",
        "exceptions":[{"holiday_calendar":"US","action":"skip"}]});
    assert_eq!(
        local(skip, "America/New_York", "2026-06-30T00:00:00Z", 2),
        ["2026-07-10 09:00", "2026-07-17 09:00"]
    );
    let moved = json!({"frequency":"weekly","days_of_week":[5],"time_of_day":"09:00","start_date":"2026-06-01",
        "exceptions":[{"holiday_calendar":"US","action":"next_business_day"}]});
    assert_eq!(
        local(moved.clone(), "America/New_York", "2026-06-30T00:00:00Z", 3),
        ["2026-07-06 09:00", "2026-07-10 09:00", "2026-07-17 09:00"]
    );
    // Asked after the holiday itself, the moved run is still found.
    assert_eq!(
        local(moved.clone(), "America/New_York", "2026-07-05T00:00:00Z", 1),
        ["2026-07-06 09:00"]
    );
    assert_eq!(
        local(moved, "America/New_York", "2026-12-24T00:00:00Z", 1),
        ["2026-12-28 09:00"]
    );
    // A moved run landing on a day the rule runs anyway runs once: July 3 (observed) and
    // July 4 (Saturday, the day itself) both move to Monday July 6; Sunday July 5 is no holiday.
    let daily = json!({"frequency":"daily","time_of_day":"09:00","start_date":"2026-06-01",
        "exceptions":[{"holiday_calendar":"US","action":"next_business_day"}]});
    assert_eq!(
        local(daily, "America/New_York", "2026-07-02T00:00:00Z", 4),
        [
            "2026-07-02 09:00",
            "2026-07-05 09:00",
            "2026-07-06 09:00",
            "2026-07-07 09:00"
        ]
    );
}

#[test]
fn user_defined_calendar() {
    let cals = HolidayCalendars::builtin().with(
        "studio-closures",
        [NaiveDate::from_ymd_opt(2026, 3, 2).expect("date")],
    );
    let r = json!({"frequency":"weekly","days_of_week":[1],"time_of_day":"09:00","start_date":"2026-01-01",
        "exceptions":[{"holiday_calendar":"studio-closures","action":"next_business_day"}]});
    let rec = compile(&r, "UTC", &cals);
    let got: Vec<String> = rec
        .iter_from(utc("2026-02-24T00:00:00Z"))
        .take(2)
        .map(|o| o.at.to_rfc3339())
        .collect();
    assert_eq!(
        got,
        ["2026-03-03T09:00:00+00:00", "2026-03-09T09:00:00+00:00"]
    );
    let rule = parse_rule(&r, "").expect("valid");
    assert!(Recurrence::new(&rule, chrono_tz::UTC, &HolidayCalendars::builtin()).is_err());
}

#[test]
fn builtin_calendars_know_their_national_days() {
    let cals = HolidayCalendars::builtin();
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
    for (cal, date) in [
        ("US", d(2026, 7, 3)),
        ("US", d(2026, 11, 26)),
        ("GB", d(2026, 12, 28)),
        ("DE", d(2026, 10, 3)),
        ("FR", d(2026, 7, 14)),
        ("CA", d(2026, 7, 1)),
        ("AU", d(2026, 1, 26)),
        ("JP", d(2026, 2, 11)),
        ("IN", d(2026, 8, 15)),
        ("BR", d(2026, 9, 7)),
        ("US", d(2000, 1, 17)),
        ("DE", d(2060, 12, 25)),
    ] {
        assert!(
            cals.get(cal).expect("built in").is_holiday(date),
            "{cal} {date}"
        );
    }
    assert!(!cals.get("US").expect("built in").is_holiday(d(2026, 7, 7)));
    assert_eq!(builtin_calendar_names().len(), 9);
}

#[test]
fn presets_produce_their_patterns() {
    let expected: &[(&str, [&str; 3])] = &[
        (
            "daily_9am",
            ["2026-01-01 09:00", "2026-01-02 09:00", "2026-01-03 09:00"],
        ),
        (
            "weekdays_6pm",
            ["2026-01-01 18:00", "2026-01-02 18:00", "2026-01-05 18:00"],
        ),
        (
            "weekly_monday",
            ["2026-01-05 10:00", "2026-01-12 10:00", "2026-01-19 10:00"],
        ),
        (
            "twice_weekly",
            ["2026-01-01 09:00", "2026-01-05 09:00", "2026-01-08 09:00"],
        ),
        (
            "first_of_month",
            ["2026-01-01 12:00", "2026-02-01 12:00", "2026-03-01 12:00"],
        ),
        (
            "every_2_weeks",
            ["2026-01-12 09:00", "2026-01-26 09:00", "2026-02-09 09:00"],
        ),
        (
            "weekends",
            ["2026-01-03 10:00", "2026-01-04 10:00", "2026-01-10 10:00"],
        ),
        (
            "last_day_of_month",
            ["2026-01-31 17:00", "2026-02-28 17:00", "2026-03-31 17:00"],
        ),
        (
            "first_monday_of_month",
            ["2026-01-05 09:00", "2026-02-02 09:00", "2026-03-02 09:00"],
        ),
        (
            "last_weekday_of_month",
            ["2026-01-30 17:00", "2026-02-27 17:00", "2026-03-31 17:00"],
        ),
        (
            "quarterly",
            ["2026-01-01 09:00", "2026-04-01 09:00", "2026-07-01 09:00"],
        ),
        (
            "yearly_jan_1",
            ["2026-01-01 00:00", "2027-01-01 00:00", "2028-01-01 00:00"],
        ),
        (
            "hourly",
            ["2026-01-01 00:00", "2026-01-01 01:00", "2026-01-01 02:00"],
        ),
        (
            "every_30_minutes",
            ["2026-01-01 00:00", "2026-01-01 00:30", "2026-01-01 01:00"],
        ),
        (
            "every_15_minutes_working_hours",
            ["2026-01-01 09:00", "2026-01-01 09:15", "2026-01-01 09:30"],
        ),
        (
            "twice_daily",
            ["2026-01-01 09:00", "2026-01-01 17:00", "2026-01-02 09:00"],
        ),
    ];
    assert_eq!(presets().len(), expected.len());
    for (name, want) in expected {
        let preset = presets()
            .iter()
            .find(|p| p.name == *name)
            .unwrap_or_else(|| panic!("preset {name}"));
        assert!(!preset.description.is_empty());
        let mut rule = preset.rule.clone();
        rule.start_date = NaiveDate::from_ymd_opt(2026, 1, 1);
        let value = serde_json::to_value(&rule).expect("serializes");
        assert_eq!(
            local(value, "UTC", "2025-12-31T23:00:00Z", 3),
            want.to_vec(),
            "{name}"
        );
    }
    // Working hours end at 16:45; the next run is the next working day.
    let wh = presets()
        .iter()
        .find(|p| p.name == "every_15_minutes_working_hours")
        .expect("preset");
    let value = serde_json::to_value(
        wh.rule
            .clone()
            .with_default_start(NaiveDate::from_ymd_opt(2026, 1, 1).expect("d")),
    )
    .expect("json");
    assert_eq!(
        local(value, "UTC", "2026-01-02T16:40:00Z", 2),
        ["2026-01-02 16:45", "2026-01-05 09:00"]
    );
}

#[test]
fn validation_collects_every_error_with_its_path() {
    let v = json!({"frequency":"fortnightly","interval":0,"days_of_week":[1,9,0,{"day":2,"ordinal":1}],
        "days_of_month":[0,32,-1],"months":[13],"time_of_day":"25:00","start_date":"2026-05-01",
        "end_date":"2026-04-01","count":0,"colour":"blue","exceptions":["2026-02-30",{"date":"2026-01-01","action":"explode"}]});
    let errors = parse_rule(&v, "recurrence_rule").expect_err("invalid");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for want in [
        "recurrence_rule.frequency",
        "recurrence_rule.interval",
        "recurrence_rule.days_of_week[1]",
        "recurrence_rule.days_of_week[2]",
        "recurrence_rule.days_of_month[0]",
        "recurrence_rule.days_of_month[1]",
        "recurrence_rule.months[0]",
        "recurrence_rule.time_of_day",
        "recurrence_rule.end_date",
        "recurrence_rule.count",
        "recurrence_rule.colour",
        "recurrence_rule.exceptions[0]",
        "recurrence_rule.exceptions[1].action",
    ] {
        assert!(fields.contains(&want), "missing {want} in {fields:?}");
    }
    assert!(!fields.contains(&"recurrence_rule.days_of_month[2]"));
    let errors = parse_rule(
        &json!({"frequency":"weekly","days_of_week":[{"day":1,"ordinal":2}],"time_of_day":"09:00"}),
        "",
    )
    .expect_err("ordinal with weekly");
    assert_eq!(errors[0].field, "days_of_week[0].ordinal");
    assert!(parse_rule(&json!("daily"), "recurrence_rule").is_err());
    assert!(
        parse_rule(&json!({"time_of_day":"09:00"}), "r").expect_err("no frequency")[0].field
            == "r.frequency"
    );
}

#[test]
fn timezone_lookup_and_suggestions() {
    assert_eq!(
        parse_timezone("Europe/Berlin").expect("known").name(),
        "Europe/Berlin"
    );
    assert_eq!(
        parse_timezone("europe/berlin").expect("case").name(),
        "Europe/Berlin"
    );
    let e = parse_timezone("America/New_Yrok").expect_err("misspelt");
    assert_eq!(
        e.suggestions.first().map(String::as_str),
        Some("America/New_York")
    );
    let e = parse_timezone("Europe/Berln").expect_err("misspelt");
    assert!(
        e.suggestions.iter().any(|s| s == "Europe/Berlin"),
        "{:?}",
        e.suggestions
    );
    assert!(e.to_string().contains("did you mean"));
    let e = parse_timezone("Mars/Olympus_Mons").expect_err("unknown");
    assert!(e.suggestions.len() <= 3);
}

#[test]
fn zone_list_and_output_line() {
    let zones = zones_with_offsets(utc("2026-01-15T00:00:00Z"));
    assert!(zones.len() > 400);
    assert!(zones.contains(&("America/New_York", -5 * 3600)));
    assert!(zones.contains(&("Asia/Kolkata", 5 * 3600 + 1800)));
    let summer = zones_with_offsets(utc("2026-07-15T00:00:00Z"));
    assert!(summer.contains(&("America/New_York", -4 * 3600)));
    let rec = compile(
        &json!({"frequency":"daily","time_of_day":"09:00","start_date":"2026-03-01"}),
        "America/New_York",
        &HolidayCalendars::builtin(),
    );
    let o = rec.next_after(utc("2026-03-09T00:00:00Z")).expect("next");
    assert_eq!(
        o.to_line(),
        "2026-03-09T13:00:00Z 2026-03-09T09:00:00-04:00"
    );
    assert_eq!(format_occurrence_line(o.at, o.local), o.to_line());
}

#[test]
fn next_after_agrees_with_walking_from_the_start() {
    let rule = json!({"frequency":"weekly","interval":3,"days_of_week":[2,6],"time_of_day":"07:45","start_date":"2021-05-04"});
    let rec = compile(&rule, "America/Santiago", &HolidayCalendars::builtin());
    let all: Vec<_> = rec
        .iter_from(utc("2021-01-01T00:00:00Z"))
        .take(400)
        .collect();
    for probe in [
        "2022-03-03T10:00:00Z",
        "2023-09-02T11:45:00Z",
        "2024-12-31T23:59:59Z",
    ] {
        let x = utc(probe);
        assert_eq!(
            rec.next_after(x),
            all.iter().find(|o| o.at > x).copied(),
            "{probe}"
        );
    }
}

#[test]
fn missing_start_date_is_an_error_until_filled_in() {
    let rule = RecurrenceRule::new(
        Frequency::Daily,
        sgsched_recurrence::recurrence::TimeOfDay { hour: 9, minute: 0 },
    );
    assert!(Recurrence::new(&rule, chrono_tz::UTC, &HolidayCalendars::builtin()).is_err());
    let now = utc("2026-03-10T03:00:00Z");
    let rec = sgsched_recurrence::recurrence::compile_with_default_start(
        &rule,
        chrono_tz::America::New_York,
        &HolidayCalendars::builtin(),
        now,
    )
    .expect("compiles");
    // 03:00Z is still March 9 in New York: the rule starts that day.
    assert_eq!(
        rec.next_after(utc("2026-03-01T00:00:00Z"))
            .expect("next")
            .to_line(),
        "2026-03-09T13:00:00Z 2026-03-09T09:00:00-04:00"
    );
    assert!(rule.exceptions.is_empty());
}
