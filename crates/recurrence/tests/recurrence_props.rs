//! Property tests on random rules, and a differential test against the `rrule` crate.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use sgsched_recurrence::recurrence::{
    Exception, Frequency, HolidayCalendars, Occurrence, Recurrence, RecurrenceRule, TimeOfDay,
    WeekdaySpec, parse_rrule, to_rrule,
};

const ZONES: [Tz; 6] = [
    chrono_tz::UTC,
    chrono_tz::America::New_York,
    chrono_tz::Europe::Berlin,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::America::Santiago,
    chrono_tz::Africa::Cairo,
];

fn subset(pool: Vec<i64>, max: usize) -> impl Strategy<Value = Vec<i64>> {
    proptest::sample::subsequence(pool.clone(), 0..=max.min(pool.len()))
}

prop_compose! {
    /// Random valid rules. `with_extras` adds what the differential oracle cannot judge
    /// (exceptions) or judges differently (sub-daily frequencies).
    fn rules(with_extras: bool)(
        freq in if with_extras { 0usize..6 } else { 2usize..6 },
        interval in 1u32..4,
        wdays in subset((1..=7).collect(), 3),
        ordinal in prop_oneof![Just(None), (1i8..=4).prop_map(Some), (-4i8..=-1).prop_map(Some)],
        mdays in subset(vec![1, 2, 13, 15, 28, 29, 30, 31, -1, -2], 3),
        months in subset((1..=12).collect(), 4),
        hours in prop_oneof![Just(vec![]), subset((0..24).collect(), 3)],
        setpos in prop_oneof![3 => Just(vec![]), 1 => Just(vec![1i16]), 1 => Just(vec![-1i16])],
        hour in 0u8..24, minute in prop_oneof![Just(0u8), Just(30u8), 0u8..60],
        start_offset in 0i64..3650,
        bound in prop_oneof![Just(None), (1u32..40).prop_map(|c| Some((c, 0))), (30i64..1500).prop_map(|d| Some((0, d)))],
        skips in proptest::collection::vec(0i64..120, 0..4),
        wkst in prop_oneof![3 => Just(None), 1 => (1u8..=7).prop_map(Some)],
    ) -> RecurrenceRule {
        let frequency = Frequency::ALL[freq];
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).expect("date") + Duration::days(start_offset);
        let mut rule = RecurrenceRule::new(frequency, TimeOfDay { hour, minute });
        rule.interval = if frequency == Frequency::Minutely { interval * 17 } else { interval };
        rule.start_date = Some(start);
        let monthly_like = matches!(frequency, Frequency::Monthly | Frequency::Yearly);
        rule.days_of_week = wdays.iter().map(|d| WeekdaySpec { day: *d as u8, ordinal: if monthly_like && rule.months.is_empty() { ordinal.map(|o| o.clamp(-4, 4)) } else { None } }).collect();
        if frequency != Frequency::Weekly {
            rule.days_of_month = mdays.iter().map(|d| *d as i8).collect();
        }
        if frequency != Frequency::Weekly || with_extras {
            rule.months = months.iter().map(|m| *m as u8).collect();
        }
        if monthly_like && !rule.months.is_empty() {
            for w in &mut rule.days_of_week { w.ordinal = w.ordinal.map(|o| o.clamp(-4, 4)); }
        }
        if !frequency.is_sub_daily() || frequency == Frequency::Minutely {
            rule.hours = hours.iter().map(|h| *h as u8).collect();
        }
        if !frequency.is_sub_daily() {
            rule.set_positions = setpos;
        }
        rule.week_start = wkst;
        match bound {
            Some((c, 0)) => rule.count = Some(c),
            Some((_, d)) => rule.end_date = Some(start + Duration::days(d)),
            None => {}
        }
        if with_extras {
            rule.exceptions = skips.iter().map(|d| Exception::Skip(start + Duration::days(*d))).collect();
        }
        rule
    }
}

fn compile(rule: &RecurrenceRule, tz: Tz) -> Recurrence {
    Recurrence::new(rule, tz, &HolidayCalendars::builtin()).expect("generated rules are valid")
}

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0)
        .single()
        .expect("t")
}

fn in_month_range(w: &WeekdaySpec, d: NaiveDate, scope_year: bool) -> bool {
    let Some(n) = w.ordinal else { return true };
    let (index, len) = if scope_year {
        (d.ordinal(), if d.leap_year() { 366 } else { 365 })
    } else {
        let len = (d.with_day(1).expect("d") + chrono::Months::new(1) - Duration::days(1)).day();
        (d.day(), len)
    };
    let nth = ((index - 1) / 7 + 1) as i8;
    let nth_last = -(((len - index) / 7 + 1) as i8);
    n == nth || n == nth_last
}

/// An independent reading of the date filters (no BYSETPOS, which picks among them).
fn date_satisfies(rule: &RecurrenceRule, d: NaiveDate) -> bool {
    let start = rule.start_date.expect("start");
    if d < start || rule.end_date.is_some_and(|e| d > e) {
        return false;
    }
    let len = (d.with_day(1).expect("d") + chrono::Months::new(1) - Duration::days(1)).day() as i32;
    let month_ok = rule.months.is_empty() || rule.months.contains(&(d.month() as u8));
    let mday_ok = rule.days_of_month.is_empty()
        || rule
            .days_of_month
            .iter()
            .any(|m| i32::from(*m) == d.day() as i32 || i32::from(*m) == d.day() as i32 - len - 1);
    let scope_year = rule.frequency == Frequency::Yearly && rule.months.is_empty();
    let wday_ok = rule.days_of_week.is_empty()
        || rule.days_of_week.iter().any(|w| {
            u32::from(w.day) == d.weekday().number_from_monday() && in_month_range(w, d, scope_year)
        });
    month_ok && mday_ok && wday_ok
}

fn check_stream(rule: &RecurrenceRule, tz: Tz, all: &[Occurrence]) -> Result<(), TestCaseError> {
    let skips: BTreeSet<NaiveDate> = rule
        .exceptions
        .iter()
        .filter_map(|e| {
            if let Exception::Skip(d) = e {
                Some(*d)
            } else {
                None
            }
        })
        .collect();
    for w in all.windows(2) {
        prop_assert!(w[0].at < w[1].at, "not increasing: {:?}", w);
    }
    for o in all {
        let local = o.at.with_timezone(&tz).naive_local();
        prop_assert_eq!(o.local.naive_local(), local);
        prop_assert!(
            !skips.contains(&local.date()),
            "runs on excepted {}",
            local.date()
        );
        if let Some(c) = rule.count {
            prop_assert!(all.len() <= c as usize);
        }
        // A gap shift moves the wall time (and maybe the date); judge the rule by the
        // nominal time, which is the shifted one minus the gap.
        let nominal_ok = |l: NaiveDateTime| date_satisfies(rule, l.date());
        if rule.frequency.is_sub_daily() || tz.offset_from_local_datetime(&local).single().is_some()
        {
            let shifted_back = local - Duration::hours(1);
            prop_assert!(
                nominal_ok(local) || nominal_ok(shifted_back),
                "{} does not satisfy {:?}",
                local,
                rule
            );
        }
        if !rule.frequency.is_sub_daily() && rule.hours.is_empty() && rule.minutes.is_empty() {
            let tod = rule.time_of_day;
            let wall = (local.time().hour_u8(), local.time().minute_u8());
            let gap_shifted = tz
                .from_local_datetime(
                    &local
                        .date()
                        .and_hms_opt(u32::from(tod.hour), u32::from(tod.minute), 0)
                        .expect("t"),
                )
                .single()
                .is_none();
            prop_assert!(
                wall == (tod.hour, tod.minute) || gap_shifted,
                "{} not at {}",
                local,
                tod
            );
        }
    }
    Ok(())
}

trait HourMinute {
    fn hour_u8(&self) -> u8;
    fn minute_u8(&self) -> u8;
}
impl HourMinute for chrono::NaiveTime {
    fn hour_u8(&self) -> u8 {
        chrono::Timelike::hour(self) as u8
    }
    fn minute_u8(&self) -> u8 {
        chrono::Timelike::minute(self) as u8
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn occurrences_increase_satisfy_the_rule_and_avoid_exceptions(rule in rules(true), zone in 0usize..ZONES.len()) {
        let tz = ZONES[zone];
        let rec = compile(&rule, tz);
        let all: Vec<Occurrence> = rec.iter_from(epoch()).take(300).collect();
        check_stream(&rule, tz, &all)?;
    }

    #[test]
    fn next_after_is_the_first_of_the_full_expansion_after_it(
        rule in rules(true), zone in 0usize..ZONES.len(), probes in proptest::collection::vec(0i64..(12 * 365 * 86_400), 8)
    ) {
        let tz = ZONES[zone];
        let rec = compile(&rule, tz);
        let all: Vec<Occurrence> = rec.iter_from(epoch()).take(2000).collect();
        let horizon = all.last().map(|o| o.at);
        for p in probes {
            let x = epoch() + Duration::seconds(p);
            if horizon.is_some_and(|h| x >= h) && all.len() == 2000 {
                continue;
            }
            let expected = all.iter().find(|o| o.at > x).copied();
            prop_assert_eq!(rec.next_after(x), expected, "after {}", x);
        }
    }

    #[test]
    fn json_to_rrule_to_json_is_the_identity(rule in rules(true), zone in 0usize..ZONES.len(), drop_start in any::<bool>()) {
        let mut rule = rule;
        if drop_start {
            rule.start_date = None;
            rule.end_date = None;
        }
        let tz = ZONES[zone];
        let text = to_rrule(&rule, tz);
        let (back, back_tz) = parse_rrule(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &rule, "{}", text);
        prop_assert_eq!(back_tz, rule.start_date.map(|_| tz));
        let json = serde_json::to_value(&rule).expect("json");
        prop_assert_eq!(sgsched_recurrence::recurrence::parse_rule(&json, "").expect("valid"), rule);
    }

    #[test]
    fn agrees_with_the_rrule_crate_away_from_dst_transitions(rule in rules(false), zone in 0usize..ZONES.len()) {
        let tz = ZONES[zone];
        let text = to_rrule(&rule, tz);
        let theirs: rrule::RRuleSet = match text.parse() {
            Ok(set) => set,
            Err(e) => return Err(TestCaseError::reject(format!("rrule crate refuses: {e}"))),
        };
        let ours: Vec<DateTime<Utc>> = compile(&rule, tz).iter_from(epoch()).take(200).map(|o| o.at).collect();
        let theirs: Vec<DateTime<Utc>> = theirs.all(200).dates.iter().map(|d| d.with_timezone(&Utc)).collect();
        // The rrule crate drops wall times in gaps and folds; we shift or pick the earlier
        // instant. Compare only away from transitions, and only as far as both got.
        let calm = |at: &DateTime<Utc>| {
            let off = |d: DateTime<Utc>| tz.offset_from_utc_datetime(&d.naive_utc()).fix();
            off(*at - Duration::hours(36)) == off(*at) && off(*at) == off(*at + Duration::hours(36))
        };
        let until = ours.last().copied().min(theirs.last().copied());
        let trim = |v: &[DateTime<Utc>]| -> Vec<DateTime<Utc>> { v.iter().filter(|a| calm(a) && until.is_some_and(|u| **a <= u)).copied().collect() };
        let (ours, theirs) = (trim(&ours), trim(&theirs));
        let first_diff = ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
        prop_assert!(ours == theirs, "{}\nfirst difference at {}: ours {:?}, theirs {:?}", text, first_diff, ours.get(first_diff), theirs.get(first_diff));
    }
}
