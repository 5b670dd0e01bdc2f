//! `Recurrence::spans` against the engine's own iterator: for daily and weekly rules in zones
//! with every kind of transition, the spans hold exactly the occurrences the engine steps.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use sgsched_recurrence::recurrence::{
    Frequency, HolidayCalendars, Recurrence, RecurrenceRule, Span, TimeOfDay, WeekdaySpec,
    ZoneOffsets,
};

const ZONES: [Tz; 9] = [
    chrono_tz::UTC,
    chrono_tz::America::New_York,
    chrono_tz::Europe::Berlin,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::America::Santiago,
    chrono_tz::Africa::Cairo,
    chrono_tz::Africa::Casablanca,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::America::Havana,
];

fn compile(rule: &RecurrenceRule, tz: Tz) -> Recurrence {
    Recurrence::new(rule, tz, &HolidayCalendars::builtin()).expect("valid rule")
}

/// The engine's occurrences in `[from, to)`.
fn stepped(r: &Recurrence, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    r.iter_from(from - Duration::seconds(1))
        .map(|o| o.at)
        .take_while(|t| *t < to)
        .collect()
}

/// The spans over `[from, to)` expanded and sorted; `None` when the rule has none.
fn spanned(r: &Recurrence, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Vec<DateTime<Utc>>> {
    let zone = ZoneOffsets::new(
        r.timezone(),
        from - Duration::days(2),
        to + Duration::days(2),
    );
    let mut out = Vec::new();
    r.spans(&zone, from, to, |s| match s {
        Span::One(t) => out.push(t),
        Span::Every {
            first,
            step_secs,
            n,
        } => out.extend(
            (0..n as i64).map(|k| DateTime::from_timestamp(first + k * step_secs, 0).unwrap()),
        ),
    })?;
    out.sort();
    Some(out)
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

fn daily(tod: (u8, u8), start: &str) -> RecurrenceRule {
    let mut r = RecurrenceRule::new(Frequency::Daily, TimeOfDay::new(tod.0, tod.1).unwrap());
    r.start_date = Some(date(start));
    r
}

#[test]
fn a_daily_rule_through_the_new_york_gap_and_fold_is_exact() {
    // 02:30 does not exist on 2027-03-14: that run is shifted by the gap, to 03:30 EDT.
    let r = compile(&daily((2, 30), "2027-01-01"), chrono_tz::America::New_York);
    let (from, to) = (at("2027-03-12T00:00:00Z"), at("2027-03-17T00:00:00Z"));
    let got = spanned(&r, from, to).expect("a daily rule has spans");
    assert_eq!(
        got,
        [
            at("2027-03-12T07:30:00Z"),
            at("2027-03-13T07:30:00Z"),
            at("2027-03-14T07:30:00Z"),
            at("2027-03-15T06:30:00Z"),
            at("2027-03-16T06:30:00Z"),
        ]
    );
    assert_eq!(got, stepped(&r, from, to));
    let r = compile(&daily((1, 30), "2027-01-01"), chrono_tz::America::New_York);
    let (from, to) = (at("2027-11-06T00:00:00Z"), at("2027-11-09T00:00:00Z"));
    let got = spanned(&r, from, to).expect("spans");
    // 01:30 on 11-07 is in the fold: the earlier instant, 01:30 EDT = 05:30Z.
    assert_eq!(
        got,
        [
            at("2027-11-06T05:30:00Z"),
            at("2027-11-07T05:30:00Z"),
            at("2027-11-08T06:30:00Z"),
        ]
    );
    assert_eq!(got, stepped(&r, from, to));
}

#[test]
fn shapes_the_spans_do_not_cover_are_refused() {
    let tz = chrono_tz::Europe::Berlin;
    let (from, to) = (at("2027-01-01T00:00:00Z"), at("2027-02-01T00:00:00Z"));
    let mut with_count = daily((9, 0), "2026-12-01");
    with_count.count = Some(100);
    let mut two_times = daily((9, 0), "2026-12-01");
    two_times.hours = vec![9, 17];
    let mut every_other_weekday = daily((9, 0), "2026-12-01");
    every_other_weekday.interval = 2;
    every_other_weekday.days_of_week = vec![WeekdaySpec::every(1)];
    let mut monthly = daily((9, 0), "2026-12-01");
    monthly.frequency = Frequency::Monthly;
    for rule in [with_count, two_times, every_other_weekday, monthly] {
        assert_eq!(spanned(&compile(&rule, tz), from, to), None, "{rule:?}");
    }
    // Samoa skipped 2011-12-30 (a change of a whole day), and 1969 is before the probed years.
    let r = compile(&daily((9, 0), "2011-01-01"), chrono_tz::Pacific::Apia);
    assert_eq!(
        spanned(&r, at("2011-12-20T00:00:00Z"), at("2012-01-10T00:00:00Z")),
        None
    );
    let r = compile(&daily((9, 0), "1960-01-01"), tz);
    assert_eq!(
        spanned(&r, at("1969-06-01T00:00:00Z"), at("1969-07-01T00:00:00Z")),
        None
    );
    // A zone probed over too short a window is not used.
    let r = compile(&daily((9, 0), "2026-12-01"), tz);
    let zone = ZoneOffsets::new(tz, from, to);
    assert_eq!(
        r.spans(&zone, from, to, |_| panic!("nothing emitted")),
        None
    );
}

prop_compose! {
    fn rules()(
        weekly in any::<bool>(),
        interval in 1u32..4,
        wdays in proptest::sample::subsequence((1..=7).collect::<Vec<u8>>(), 0..=3),
        hour in 0u8..24,
        minute in prop_oneof![Just(0u8), Just(30u8), 0u8..60],
        start_offset in 0i64..2000,
        end in prop_oneof![Just(None), (1i64..400).prop_map(Some)],
        wkst in prop_oneof![3 => Just(None), 1 => (1u8..=7).prop_map(Some)],
    ) -> RecurrenceRule {
        let start = date("2022-01-01") + Duration::days(start_offset);
        let mut rule = RecurrenceRule::new(
            if weekly { Frequency::Weekly } else { Frequency::Daily },
            TimeOfDay { hour, minute },
        );
        // A daily rule with weekdays has spans only every day; the others are refused.
        rule.interval = interval;
        rule.start_date = Some(start);
        rule.days_of_week = wdays.into_iter().map(WeekdaySpec::every).collect();
        rule.end_date = end.map(|d| start + Duration::days(d));
        rule.week_start = wkst;
        rule
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn spans_hold_exactly_the_stepped_occurrences(
        rule in rules(),
        zone in 0..ZONES.len(),
        window_hours in -720i64..10_000,
        window_secs in 3600i64..(40 * 86_400),
    ) {
        let tz = ZONES[zone];
        let r = compile(&rule, tz);
        // Around the rule's start (an hour and 7 seconds is not a whole number of minutes).
        let start = rule.start_date.expect("set").and_hms_opt(0, 0, 0).expect("midnight");
        let from = start.and_utc() + Duration::seconds(window_hours * 3607);
        let to = from + Duration::seconds(window_secs);
        let daily_with_days = rule.frequency == Frequency::Daily && !rule.days_of_week.is_empty();
        match spanned(&r, from, to) {
            Some(got) => prop_assert_eq!(got, stepped(&r, from, to)),
            None => prop_assert!(daily_with_days && rule.interval > 1, "refused {:?}", rule),
        }
    }
}
