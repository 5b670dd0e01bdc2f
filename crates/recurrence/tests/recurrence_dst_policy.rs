//! A rule's own DST policy (`dst_policy`): skip a nonexistent time, run at the later or at
//! both instants of a repeated one; exact instants in zones with 1-hour, 30-minute and
//! midnight transitions (dates checked against chrono-tz's data).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;
use sgsched_recurrence::recurrence::{
    DstGap, DstOverlap, DstPolicy, HolidayCalendars, Recurrence, RecurrenceRule, parse_rrule,
    parse_rule, to_rrule,
};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

fn rule(time: &str, start: &str, policy: serde_json::Value) -> RecurrenceRule {
    parse_rule(
        &json!({"frequency": "daily", "time_of_day": time, "start_date": start, "dst_policy": policy}),
        "",
    )
    .expect("valid rule")
}

/// Occurrences in `[from, to)` as RFC 3339 UTC strings.
fn runs(rule: &RecurrenceRule, tz: Tz, from: &str, to: &str) -> Vec<String> {
    let r = Recurrence::new(rule, tz, &HolidayCalendars::builtin()).expect("compiles");
    r.between(utc(from), utc(to), 100)
        .into_iter()
        .map(|o| o.at.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

struct Case {
    tz: Tz,
    /// Gap: a time that does not exist on `gap_day`, the runs the day before and after.
    gap_time: &'static str,
    start: &'static str,
    gap_window: (&'static str, &'static str),
    gap_skip: [&'static str; 2],
    gap_shift: [&'static str; 3],
    /// Overlap: a repeated time, a window around that day, the two instants.
    fold_time: &'static str,
    fold_window: (&'static str, &'static str),
    fold_first: &'static str,
    fold_last: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            tz: chrono_tz::America::New_York,
            gap_time: "02:30",
            start: "2026-01-01",
            gap_window: ("2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"),
            gap_skip: ["2026-03-07T07:30Z", "2026-03-09T06:30Z"],
            gap_shift: [
                "2026-03-07T07:30Z",
                "2026-03-08T07:30Z",
                "2026-03-09T06:30Z",
            ],
            fold_time: "01:30",
            fold_window: ("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
            fold_first: "2026-11-01T05:30Z",
            fold_last: "2026-11-01T06:30Z",
        },
        Case {
            tz: chrono_tz::Europe::Berlin,
            gap_time: "02:30",
            start: "2026-01-01",
            gap_window: ("2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z"),
            gap_skip: ["2026-03-28T01:30Z", "2026-03-30T00:30Z"],
            gap_shift: [
                "2026-03-28T01:30Z",
                "2026-03-29T01:30Z",
                "2026-03-30T00:30Z",
            ],
            fold_time: "02:30",
            fold_window: ("2026-10-24T23:00:00Z", "2026-10-25T12:00:00Z"),
            fold_first: "2026-10-25T00:30Z",
            fold_last: "2026-10-25T01:30Z",
        },
        // 30-minute shifts: 02:00 -> 02:30 on 2026-10-04, 02:00 -> 01:30 on 2026-04-05.
        Case {
            tz: chrono_tz::Australia::Lord_Howe,
            gap_time: "02:15",
            start: "2026-01-01",
            gap_window: ("2026-10-02T12:00:00Z", "2026-10-05T00:00:00Z"),
            gap_skip: ["2026-10-02T15:45Z", "2026-10-04T15:15Z"],
            gap_shift: [
                "2026-10-02T15:45Z",
                "2026-10-03T15:45Z",
                "2026-10-04T15:15Z",
            ],
            fold_time: "01:45",
            fold_window: ("2026-04-04T12:00:00Z", "2026-04-05T00:00:00Z"),
            fold_first: "2026-04-04T14:45Z",
            fold_last: "2026-04-04T15:15Z",
        },
        // Midnight transitions: 00:00 -> 01:00 on 2026-09-06; 24:00 -> 23:00 on 2026-04-04.
        Case {
            tz: chrono_tz::America::Santiago,
            gap_time: "00:30",
            start: "2026-01-01",
            gap_window: ("2026-09-05T00:00:00Z", "2026-09-08T00:00:00Z"),
            gap_skip: ["2026-09-05T04:30Z", "2026-09-07T03:30Z"],
            gap_shift: [
                "2026-09-05T04:30Z",
                "2026-09-06T04:30Z",
                "2026-09-07T03:30Z",
            ],
            fold_time: "23:30",
            fold_window: ("2026-04-05T00:00:00Z", "2026-04-05T12:00:00Z"),
            fold_first: "2026-04-05T02:30Z",
            fold_last: "2026-04-05T03:30Z",
        },
        // 00:00 -> 01:00 on 2026-04-24; 24:00 -> 23:00 on 2026-10-29.
        Case {
            tz: chrono_tz::Africa::Cairo,
            gap_time: "00:30",
            start: "2026-01-01",
            gap_window: ("2026-04-22T12:00:00Z", "2026-04-25T12:00:00Z"),
            gap_skip: ["2026-04-22T22:30Z", "2026-04-24T21:30Z"],
            gap_shift: [
                "2026-04-22T22:30Z",
                "2026-04-23T22:30Z",
                "2026-04-24T21:30Z",
            ],
            fold_time: "23:30",
            fold_window: ("2026-10-29T12:00:00Z", "2026-10-30T12:00:00Z"),
            fold_first: "2026-10-29T20:30Z",
            fold_last: "2026-10-29T21:30Z",
        },
    ]
}

#[test]
fn gap_skip_drops_the_nonexistent_run_and_shift_forward_keeps_it() {
    for c in cases() {
        let (from, to) = c.gap_window;
        let skip = rule(c.gap_time, c.start, json!({"gap": "skip"}));
        assert_eq!(runs(&skip, c.tz, from, to), c.gap_skip, "{} skip", c.tz);
        let shift = rule(c.gap_time, c.start, json!({}));
        assert_eq!(runs(&shift, c.tz, from, to), c.gap_shift, "{} shift", c.tz);
    }
}

#[test]
fn overlap_first_last_and_both() {
    for c in cases() {
        let (from, to) = c.fold_window;
        let first = rule(c.fold_time, c.start, json!({"overlap": "first"}));
        assert_eq!(
            runs(&first, c.tz, from, to),
            [c.fold_first],
            "{} first",
            c.tz
        );
        let last = rule(c.fold_time, c.start, json!({"overlap": "last"}));
        assert_eq!(runs(&last, c.tz, from, to), [c.fold_last], "{} last", c.tz);
        let both = rule(
            c.fold_time,
            c.start,
            json!({"gap": "skip", "overlap": "both"}),
        );
        assert_eq!(
            runs(&both, c.tz, from, to),
            [c.fold_first, c.fold_last],
            "{} both",
            c.tz
        );
    }
}

#[test]
fn both_with_several_times_a_day_stays_in_order_and_counts_each_instant() {
    // 01:00 and 01:30 in New York's repeated hour: four runs, the earlier offset's first.
    let mut r = parse_rule(
        &json!({"frequency": "daily", "time_of_day": "01:00", "minutes": [0, 30], "start_date": "2026-11-01", "count": 4, "dst_policy": {"overlap": "both"}}),
        "",
    )
    .expect("valid");
    let got = runs(
        &r,
        chrono_tz::America::New_York,
        "2026-10-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
    );
    assert_eq!(
        got,
        [
            "2026-11-01T05:00Z",
            "2026-11-01T05:30Z",
            "2026-11-01T06:00Z",
            "2026-11-01T06:30Z"
        ]
    );
    r.count = Some(5);
    let got = runs(
        &r,
        chrono_tz::America::New_York,
        "2026-10-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
    );
    assert_eq!(got.last().map(String::as_str), Some("2026-11-02T06:00Z"));
}

#[test]
fn a_policy_turns_the_spans_fast_path_off() {
    let tz = chrono_tz::America::New_York;
    let cal = HolidayCalendars::builtin();
    let plain = rule("02:30", "2026-01-01", json!({}));
    assert!(Recurrence::new(&plain, tz, &cal).expect("ok").has_spans());
    let skip = rule("02:30", "2026-01-01", json!({"gap": "skip"}));
    assert!(!Recurrence::new(&skip, tz, &cal).expect("ok").has_spans());
}

#[test]
fn json_shape_defaults_and_errors() {
    let r = rule("09:00", "2026-01-01", json!({"overlap": "last"}));
    assert_eq!(
        r.dst_policy,
        DstPolicy {
            gap: DstGap::ShiftForward,
            overlap: DstOverlap::Last
        }
    );
    // Only what differs from the default is written; the default policy not at all.
    let v = serde_json::to_value(&r).expect("json");
    assert_eq!(v["dst_policy"], json!({"overlap": "last"}));
    let plain = rule("09:00", "2026-01-01", json!({}));
    assert!(
        serde_json::to_value(&plain)
            .expect("json")
            .get("dst_policy")
            .is_none()
    );

    let bad = parse_rule(
        &json!({"frequency": "daily", "time_of_day": "09:00", "dst_policy": {"gap": "later", "overlap": 3, "fold": "x"}}),
        "recurrence_rule",
    )
    .expect_err("invalid");
    let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
    assert!(
        fields.contains(&"recurrence_rule.dst_policy.gap"),
        "{bad:?}"
    );
    assert!(
        fields.contains(&"recurrence_rule.dst_policy.overlap"),
        "{bad:?}"
    );
    assert!(
        fields.contains(&"recurrence_rule.dst_policy.fold"),
        "{bad:?}"
    );
    let not_object = parse_rule(
        &json!({"frequency": "daily", "time_of_day": "09:00", "dst_policy": "skip"}),
        "",
    )
    .expect_err("invalid");
    assert_eq!(not_object[0].field, "dst_policy");
}

#[test]
fn sub_daily_rules_refuse_a_policy() {
    for freq in ["hourly", "minutely"] {
        let e = parse_rule(
            &json!({"frequency": freq, "time_of_day": "09:00", "dst_policy": {"gap": "skip"}}),
            "",
        )
        .expect_err("refused");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].field, "dst_policy");
        assert!(e[0].message.contains("elapsed time"), "{}", e[0].message);
    }
}

#[test]
fn rrule_text_carries_the_policy() {
    let tz = chrono_tz::America::New_York;
    let r = rule(
        "02:30",
        "2026-01-01",
        json!({"gap": "skip", "overlap": "both"}),
    );
    let text = to_rrule(&r, tz);
    assert!(
        text.contains("\nX-SGSCHED-DST:GAP=SKIP;OVERLAP=BOTH"),
        "{text}"
    );
    let (back, back_tz) = parse_rrule(&text).expect("parses");
    assert_eq!(back, r);
    assert_eq!(back_tz, Some(tz));
    let plain = rule("02:30", "2026-01-01", json!({}));
    assert!(!to_rrule(&plain, tz).contains("X-SGSCHED-DST"));
    let partial = parse_rrule(
        "DTSTART;TZID=Europe/Berlin:20260101T023000\nRRULE:FREQ=DAILY\nX-SGSCHED-DST:OVERLAP=LAST",
    )
    .expect("parses");
    assert_eq!(partial.0.dst_policy.overlap, DstOverlap::Last);
    assert_eq!(partial.0.dst_policy.gap, DstGap::ShiftForward);
    let bad = parse_rrule(
        "DTSTART;TZID=Europe/Berlin:20260101T023000\nRRULE:FREQ=DAILY\nX-SGSCHED-DST:GAP=LATER",
    )
    .expect_err("refused");
    assert_eq!(bad.part, "X-SGSCHED-DST");
    let hourly = parse_rrule(
        "DTSTART;TZID=Europe/Berlin:20260101T023000\nRRULE:FREQ=HOURLY\nX-SGSCHED-DST:GAP=SKIP",
    )
    .expect_err("refused");
    assert_eq!(hourly.part, "X-SGSCHED-DST");
}

#[test]
fn a_reschedule_target_keeps_the_default_resolution() {
    // The rule skips gap times, but a reschedule into the gap runs shifted forward.
    let r = parse_rule(
        &json!({"frequency": "daily", "time_of_day": "09:00", "start_date": "2026-03-01",
                "dst_policy": {"gap": "skip"},
                "exceptions": [{"date": "2026-03-07", "action": "reschedule", "to": "2026-03-08T02:30"}]}),
        "",
    )
    .expect("valid");
    let got = runs(
        &r,
        chrono_tz::America::New_York,
        "2026-03-07T00:00:00Z",
        "2026-03-08T12:00:00Z",
    );
    assert_eq!(got, ["2026-03-08T07:30Z"]);
}

mod property {
    use chrono::{Duration, MappedLocalTime, NaiveDate, TimeZone};
    use proptest::prelude::*;
    use sgsched_recurrence::recurrence::{
        DstGap, DstOverlap, DstPolicy, Frequency, HolidayCalendars, Recurrence, RecurrenceRule,
        TimeOfDay,
    };
    use sgsched_recurrence::timezone::resolve_local;

    const ZONES: [chrono_tz::Tz; 5] = [
        chrono_tz::America::New_York,
        chrono_tz::Europe::Berlin,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::America::Santiago,
        chrono_tz::Africa::Cairo,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Every day of two years, each wall time's instants straight from chrono's mapping
        /// of it: one, both or the chosen one of a fold, none or the shifted one in a gap.
        #[test]
        fn each_wall_time_maps_as_the_policy_says(
            zone in 0usize..ZONES.len(),
            times in proptest::sample::subsequence(vec![(0u8, 0u8), (0, 30), (1, 30), (1, 45), (2, 0), (2, 15), (2, 30), (3, 0), (23, 30)], 1..4),
            gap_skip in any::<bool>(),
            overlap in 0usize..3,
        ) {
            let tz = ZONES[zone];
            let policy = DstPolicy {
                gap: if gap_skip { DstGap::Skip } else { DstGap::ShiftForward },
                overlap: [DstOverlap::First, DstOverlap::Last, DstOverlap::Both][overlap],
            };
            let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
            // 00:00: no wall time of the start date is before the start.
            let mut rule = RecurrenceRule::new(Frequency::Daily, TimeOfDay { hour: 0, minute: 0 });
            rule.start_date = Some(start);
            rule.hours = times.iter().map(|t| t.0).collect();
            rule.minutes = times.iter().map(|t| t.1).collect();
            rule.dst_policy = policy;
            let rec = Recurrence::new(&rule, tz, &HolidayCalendars::builtin()).expect("valid");
            let mut expected = Vec::new();
            for day in 0..730 {
                let date = start + Duration::days(day);
                let mut wall: Vec<(u8, u8)> = rule.hours.iter().flat_map(|h| rule.minutes.iter().map(move |m| (*h, *m))).collect();
                wall.sort_unstable();
                wall.dedup();
                for (h, m) in wall {
                    let local = date.and_hms_opt(u32::from(h), u32::from(m), 0).expect("time");
                    match tz.from_local_datetime(&local) {
                        MappedLocalTime::Single(at) => expected.push(at.timestamp()),
                        MappedLocalTime::Ambiguous(a, b) => {
                            let (a, b) = (a.timestamp().min(b.timestamp()), a.timestamp().max(b.timestamp()));
                            match policy.overlap {
                                DstOverlap::First => expected.push(a),
                                DstOverlap::Last => expected.push(b),
                                DstOverlap::Both => expected.extend([a, b]),
                            }
                        }
                        MappedLocalTime::None if gap_skip => {}
                        MappedLocalTime::None => expected.push(resolve_local(&tz, local).0.timestamp()),
                    }
                }
            }
            expected.sort_unstable();
            expected.dedup();
            let from = tz
                .from_local_datetime(&start.and_hms_opt(0, 0, 0).expect("t"))
                .earliest()
                .expect("t")
                .with_timezone(&chrono::Utc);
            let ours: Vec<i64> = rec.iter_from(from - Duration::seconds(1)).take(expected.len() + 1)
                .map(|o| o.at.timestamp())
                .take_while(|t| expected.last().is_some_and(|l| t <= l))
                .collect();
            let diff = ours.iter().zip(&expected).position(|(a, b)| a != b);
            prop_assert!(
                ours == expected,
                "first difference at {:?}: ours {:?}, expected {:?} (lengths {} and {})",
                diff,
                diff.map(|i| ours[i]),
                diff.map(|i| expected[i]),
                ours.len(),
                expected.len()
            );
        }
    }
}
