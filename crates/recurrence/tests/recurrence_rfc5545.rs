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

const NY: &str = "DTSTART;TZID=America/New_York:20260301T090000";

#[test]
fn rdate_in_every_value_form() {
    let text = format!(
        "{NY}\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2\nRDATE;TZID=America/New_York:20260310T140000,20260302T090000\nRDATE:20260311T140000Z\nRDATE;VALUE=DATE:20260312\nRDATE:20260313T080000\nRDATE;TZID=Europe/Berlin:20260314T150000"
    );
    let r = compile_text(&text);
    assert_eq!(
        local_runs(&r, 10),
        [
            "2026-03-02T09:00-05:00",
            "2026-03-09T09:00-04:00",
            "2026-03-10T14:00-04:00",
            "2026-03-11T10:00-04:00",
            "2026-03-12T09:00-04:00",
            "2026-03-13T08:00-04:00",
            "2026-03-14T10:00-04:00",
        ]
    );
    let rule = round_trips(&text);
    assert_eq!(
        serde_json::to_value(&rule).expect("json")["extra_dates"],
        json!([
            "2026-03-10T14:00",
            "2026-03-02T09:00",
            "2026-03-11T10:00",
            "2026-03-12T09:00",
            "2026-03-13T08:00",
            "2026-03-14T10:00"
        ])
    );
    let written = to_rrule(&rule, chrono_tz::America::New_York);
    assert!(
        written.contains("\nRDATE;TZID=America/New_York:20260310T140000,20260302T090000,"),
        "{written}"
    );
}

#[test]
fn exdate_removes_rdate_instances_and_rdates_ignore_count() {
    let text = format!(
        "{NY}\nRRULE:FREQ=DAILY;COUNT=1\nRDATE;TZID=America/New_York:20260305T120000,20260306T120000\nEXDATE;TZID=America/New_York:20260305T120000"
    );
    let r = compile_text(&text);
    assert_eq!(
        local_runs(&r, 5),
        ["2026-03-01T09:00-05:00", "2026-03-06T12:00-05:00"]
    );
    // Reported as removed by an exception date.
    let removed = r.removed_between(utc("2026-03-01T00:00:00Z"), utc("2026-04-01T00:00:00Z"), 10);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].occurrence.at, utc("2026-03-05T17:00:00Z"));
}

#[test]
fn too_many_rdates_are_refused_cheaply() {
    let values: Vec<String> = (0..100_000)
        .map(|i| format!("2026{:02}{:02}T090000", 1 + i % 12, 1 + i % 28))
        .collect();
    let text = format!("{NY}\nRRULE:FREQ=DAILY\nRDATE:{}", values.join(","));
    let e = parse_rrule(&text).expect_err("refused");
    assert_eq!(e.part, "RDATE");
    assert!(e.message.contains("1000"), "{e}");
    let many: Vec<String> = (0..1001)
        .map(|i| format!("2026-01-01T{:02}:{:02}", i / 60 % 24, i % 60))
        .collect();
    let e = parse_rule(
        &json!({"frequency":"daily","time_of_day":"09:00","extra_dates": many}),
        "",
    )
    .expect_err("refused");
    assert_eq!(e[0].field, "extra_dates");
    let e = parse_rule(
        &json!({"frequency":"daily","time_of_day":"09:00","extra_dates": ["2026-01-01", "2026-01-01T09:00"]}),
        "",
    )
    .expect_err("refused");
    assert_eq!(e[0].field, "extra_dates[0]");
}

#[test]
fn several_rrules_are_the_union_of_their_occurrences() {
    let text = "DTSTART;TZID=Europe/Berlin:20260302T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2\nRRULE:FREQ=MONTHLY;BYMONTHDAY=3,9;COUNT=3";
    let r = compile_text(text);
    assert_eq!(
        local_runs(&r, 10),
        [
            "2026-03-02T09:00+01:00",
            "2026-03-03T09:00+01:00",
            "2026-03-09T09:00+01:00",
            "2026-04-03T09:00+02:00",
        ]
    );
    let rule = round_trips(text);
    assert_eq!(
        serde_json::to_value(&rule).expect("json")["additional_rules"],
        json!([{"frequency":"monthly","interval":1,"days_of_month":[3,9],"count":3}])
    );
    // From the middle: each rule's cursor seeks on its own.
    let next = r.next_after(utc("2026-03-05T00:00:00Z")).expect("next");
    assert_eq!(next.at, utc("2026-03-09T08:00:00Z"));
}

#[test]
fn additional_rule_errors_have_their_own_paths() {
    let e = parse_rule(
        &json!({"frequency":"daily","time_of_day":"09:00","additional_rules":[
            {"frequency":"weekly","interval":0},
            {"frequency":"daily","days_of_year":[1],"time_of_day":"10:00"},
            {"frequency":"fortnightly"},
            "monthly"
        ]}),
        "recurrence_rule",
    )
    .expect_err("invalid");
    let mut fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "recurrence_rule.additional_rules[0].interval",
            "recurrence_rule.additional_rules[1].days_of_year",
            "recurrence_rule.additional_rules[1].time_of_day",
            "recurrence_rule.additional_rules[2].frequency",
            "recurrence_rule.additional_rules[3]",
        ],
        "{e:?}"
    );
    let eleven: Vec<serde_json::Value> = (0..11).map(|_| json!({"frequency":"daily"})).collect();
    let e = parse_rule(
        &json!({"frequency":"daily","time_of_day":"09:00","additional_rules": eleven}),
        "",
    )
    .expect_err("refused");
    assert_eq!(e[0].field, "additional_rules");
    let twelve = format!("{NY}{}", "\nRRULE:FREQ=DAILY".repeat(12));
    assert_eq!(parse_rrule(&twelve).expect_err("refused").part, "RRULE");
    // A shared DST policy an hourly pattern cannot have is that pattern's error.
    let e = parse_rule(
        &json!({"frequency":"daily","time_of_day":"09:00","dst_policy":{"gap":"skip"},"additional_rules":[{"frequency":"hourly"}]}),
        "",
    )
    .expect_err("refused");
    assert_eq!(e[0].field, "additional_rules[0].frequency");
}

#[test]
fn until_equal_to_dtstart_gives_one_occurrence() {
    for text in [
        "DTSTART;TZID=America/New_York:20260310T090000\nRRULE:FREQ=DAILY;UNTIL=20260310T130000Z",
        "DTSTART;TZID=America/New_York:20260310T090000\nRRULE:FREQ=DAILY;BYHOUR=9,15;UNTIL=20260310T130000Z",
        "DTSTART;TZID=America/New_York:20260310T090000\nRRULE:FREQ=HOURLY;UNTIL=20260310T130000Z",
        "DTSTART:20260310T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=TU,WE;UNTIL=20260310T090000Z",
    ] {
        let r = compile_text(text);
        assert_eq!(utc_runs(&r, 5).len(), 1, "{text}");
        round_trips(text);
    }
    // An UNTIL between two runs of a day keeps the first (the old date reading dropped it).
    let r = compile_text(
        "DTSTART;TZID=America/New_York:20260310T090000\nRRULE:FREQ=DAILY;BYHOUR=9,15;UNTIL=20260311T150000Z",
    );
    assert_eq!(
        local_runs(&r, 5),
        [
            "2026-03-10T09:00-04:00",
            "2026-03-10T15:00-04:00",
            "2026-03-11T09:00-04:00"
        ]
    );
    // A DATE UNTIL on the start's own date keeps that day's runs.
    let r = compile_text(
        "DTSTART;TZID=America/New_York:20260310T090000\nRRULE:FREQ=DAILY;BYHOUR=9,15;UNTIL=20260310",
    );
    assert_eq!(utc_runs(&r, 5).len(), 2);
    let e = parse_rule(
        &json!({"frequency":"daily","time_of_day":"09:00","until":"2026-03-10T09:00","count":3}),
        "",
    )
    .expect_err("refused");
    assert_eq!(e[0].field, "until");
}

#[test]
fn exdate_in_every_value_form_removes_just_that_run() {
    let base =
        "DTSTART;TZID=America/New_York:20260309T090000\nRRULE:FREQ=DAILY;BYHOUR=9,15;COUNT=6";
    let want = [
        "2026-03-09T09:00-04:00",
        "2026-03-09T15:00-04:00",
        "2026-03-10T15:00-04:00",
        "2026-03-11T09:00-04:00",
        "2026-03-11T15:00-04:00",
    ];
    for exdate in [
        "EXDATE;TZID=America/New_York:20260310T090000",
        "EXDATE:20260310T130000Z",
        "EXDATE:20260310T090000",
        "EXDATE;TZID=Europe/Berlin:20260310T140000",
        "EXDATE;VALUE=DATE-TIME;TZID=America/New_York:20260310T090000",
    ] {
        let text = format!("{base}\n{exdate}");
        assert_eq!(local_runs(&compile_text(&text), 10), want, "{exdate}");
        round_trips(&text);
    }
    let whole_day = compile_text(&format!("{base}\nEXDATE;VALUE=DATE:20260310"));
    assert_eq!(local_runs(&whole_day, 10).len(), 4);
    let several = compile_text(&format!(
        "{base}\nEXDATE;TZID=America/New_York:20260309T090000,20260309T150000\nEXDATE:20260311T190000Z"
    ));
    assert_eq!(
        local_runs(&several, 10),
        [
            "2026-03-10T09:00-04:00",
            "2026-03-10T15:00-04:00",
            "2026-03-11T09:00-04:00"
        ]
    );
    let json = serde_json::to_value(
        parse_rrule(&format!("{base}\nEXDATE:20260310T130000Z"))
            .expect("ok")
            .0,
    )
    .expect("json");
    assert_eq!(
        json["exceptions"],
        json!([{"at": "2026-03-10T09:00", "action": "skip"}])
    );
    for bad in [
        "EXDATE;VALUE=DATE:20260310T090000",
        "EXDATE:2026031",
        "EXDATE:20260310T0900",
        "EXDATE:20260310T090030",
        "EXDATE;TZID=America/New_York:20260310T130000Z",
        "EXDATE;TZID=Mars/Base:20260310T090000",
    ] {
        let e = parse_rrule(&format!("{base}\n{bad}")).expect_err(bad);
        assert_eq!(e.part, "EXDATE", "{bad}: {e}");
    }
}

#[test]
fn removed_between_reports_a_skipped_run() {
    let r = compile_text(
        "DTSTART;TZID=America/New_York:20260309T090000\nRRULE:FREQ=DAILY;BYHOUR=9,15\nEXDATE;TZID=America/New_York:20260310T150000",
    );
    let removed = r.removed_between(utc("2026-03-09T00:00:00Z"), utc("2026-03-12T00:00:00Z"), 10);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].occurrence.at, utc("2026-03-10T19:00:00Z"));
    assert_eq!(
        removed[0].why,
        sgsched_recurrence::recurrence::Removal::ExceptionDate
    );
}

#[test]
fn refusals_say_why() {
    let e = |t: &str| parse_rrule(t).expect_err(t);
    let two = e("DTSTART:20260101T090000Z\nDTSTART:20260102T090000Z\nRRULE:FREQ=DAILY");
    assert_eq!(two.part, "DTSTART");
    assert!(two.message.contains("twice"), "{two}");
    for text in ["RRULE:FREQ=SECONDLY", "RRULE:FREQ=DAILY;BYSECOND=30"] {
        let x = e(text);
        assert!(x.message.contains("minute precision"), "{x}");
    }
    assert_eq!(e("RRULE:FREQ=SECONDLY").part, "FREQ");
    assert_eq!(e("RRULE:FREQ=DAILY;BYSECOND=0,30").part, "BYSECOND");
    let exrule = e("DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY\nEXRULE:FREQ=WEEKLY");
    assert_eq!(exrule.part, "EXRULE");
    assert!(
        exrule.message.contains("RFC 2445") && exrule.message.contains("EXDATE"),
        "{exrule}"
    );
    let floating =
        e("DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=DAILY;UNTIL=20260201T090000");
    assert_eq!(floating.part, "UNTIL");
    assert!(floating.message.contains("UTC"), "{floating}");
    // A DATE UNTIL and a floating one with a floating start stay accepted.
    assert!(
        parse_rrule("DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=DAILY;UNTIL=20260201")
            .is_ok()
    );
    assert!(parse_rrule("DTSTART:20260101T090000\nRRULE:FREQ=DAILY;UNTIL=20260201T090000").is_ok());
    assert_eq!(
        parse_rrule("DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;BYSECOND=0")
            .expect("ok")
            .0
            .frequency,
        sgsched_recurrence::recurrence::Frequency::Daily
    );
}

#[test]
fn hourly_byminute_across_a_half_hour_shift_keeps_minutes_past_midnight() {
    // Lord Howe falls back 30 minutes on 2026-04-05: the stepped hours then start at :30
    // local, so minute 45 of the hour from 23:30 is 00:15 the next day. With that day the
    // only one allowed (day 100 = April 10), the hour starting the day before must not be
    // jumped over.
    let r = compile_text(
        "DTSTART;TZID=Australia/Lord_Howe:20260404T220000\nRRULE:FREQ=HOURLY;BYMINUTE=45;BYYEARDAY=100",
    );
    assert_eq!(
        local_runs(&r, 2),
        ["2026-04-10T00:15+10:30", "2026-04-10T01:15+10:30"]
    );
}
