//! Calendar unit tests: DST days, month counting, item caps, filters, and the planned runs
//! checked against the straightforward algorithm (one `next_after` per occurrence from
//! `next_run_at`) over rules, zones and windows chosen to hit DST changes, rule ends and
//! `max_runs`.

use std::sync::Arc;

use chrono::TimeZone;

use super::planned::{Compiled, Span, planned};
use super::*;
use crate::model::timing::Timing;
use crate::model::{ScheduleKind, fixtures};
use crate::recurrence::{
    Exception, Frequency, HolidayCalendars, RecurrenceRule, TimeOfDay, WeekdaySpec,
};
use crate::store::RunMark;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn cals() -> Arc<HolidayCalendars> {
    Arc::new(HolidayCalendars::builtin())
}

/// Adds `s` as `gather` does: shared, with its compiled timing.
fn add(b: &mut Builder, s: Schedule, past: &WindowRuns) {
    let plan = Compiled::of(&s, &cals()).map(Arc::new);
    b.add(Arc::new(s), &plan, past);
}

pub(super) fn schedule(tz: &str, rule: RecurrenceRule) -> Schedule {
    let mut s = fixtures::schedule(uuid::Uuid::nil(), Utc::now())
        .job("export", serde_json::json!({}))
        .recurring(rule, tz.parse().expect("a zone"))
        .build();
    let first = Timing::of(&s, &cals())
        .unwrap()
        .next_from(Utc.timestamp_opt(0, 0).unwrap());
    s.settle(first);
    s
}

fn hourly(tz: &str, freq: Frequency, start: &str) -> Schedule {
    let mut rule = RecurrenceRule::new(freq, TimeOfDay::new(0, 0).unwrap());
    rule.start_date = Some(date(start));
    schedule(tz, rule)
}

fn query(start: &str, end: &str, tz: Tz, group_by: GroupBy) -> CalendarQuery {
    CalendarQuery {
        start: date(start),
        end: date(end),
        tz,
        group_by,
        include_completed: false,
        include_cancelled: false,
        job_type: None,
    }
}

fn counts(c: &Calendar) -> Vec<u64> {
    c.days.iter().map(|d| d.total_count).collect()
}

#[test]
fn berlin_days_have_23_and_25_hours() {
    let tz = chrono_tz::Europe::Berlin;
    let mut b = Builder::new(query("2027-03-27", "2027-03-29", tz, GroupBy::Day));
    add(
        &mut b,
        hourly("Europe/Berlin", Frequency::Hourly, "2027-03-01"),
        &WindowRuns::default(),
    );
    let c = b.finish();
    assert_eq!(counts(&c), [24, 23, 24]);
    // 01:00 local is 00:00Z, then 03:00 CEST is 01:00Z: the gap hour does not exist.
    let spring = &c.days[1].items;
    assert_eq!(
        spring[1].at,
        Utc.with_ymd_and_hms(2027, 3, 28, 0, 0, 0).unwrap()
    );
    assert_eq!(
        spring[2].at,
        Utc.with_ymd_and_hms(2027, 3, 28, 1, 0, 0).unwrap()
    );
    let mut b = Builder::new(query("2027-10-30", "2027-11-01", tz, GroupBy::Day));
    add(
        &mut b,
        hourly("Europe/Berlin", Frequency::Hourly, "2027-03-01"),
        &WindowRuns::default(),
    );
    assert_eq!(counts(&b.finish()), [24, 25, 24]);
}

#[test]
fn month_view_counts_a_minutely_schedule_without_items() {
    let mut b = Builder::new(query(
        "2027-02-01",
        "2027-02-28",
        chrono_tz::UTC,
        GroupBy::Month,
    ));
    add(
        &mut b,
        hourly("UTC", Frequency::Minutely, "2027-01-01"),
        &WindowRuns::default(),
    );
    // Counted, not stepped: the step budget is untouched.
    assert_eq!(b.steps_left, MAX_STEPS);
    let c = b.finish();
    assert!(
        c.days
            .iter()
            .all(|d| d.total_count == 1440 && d.items.is_empty())
    );
    assert_eq!(c.total, 1440 * 28);
    // Month view counts the schedules of a day without listing them.
    assert_eq!(c.days[0].schedule_count, 1);
    assert!(c.days[0].schedules.is_empty());
}

#[test]
fn day_view_caps_items_and_flags_truncation() {
    let mut b = Builder::new(query(
        "2027-02-01",
        "2027-02-01",
        chrono_tz::UTC,
        GroupBy::Day,
    ));
    add(
        &mut b,
        hourly("UTC", Frequency::Minutely, "2027-01-01"),
        &WindowRuns::default(),
    );
    let c = b.finish();
    assert_eq!(c.days[0].total_count, 1440);
    assert_eq!(c.days[0].items.len(), MAX_ITEMS_PER_DAY);
    assert!(c.days[0].truncated);
    assert_eq!(
        c.days[0].items[999].at,
        Utc.with_ymd_and_hms(2027, 2, 1, 16, 39, 0).unwrap()
    );
}

#[test]
fn max_runs_pause_and_status_filters() {
    let q = query("2027-01-02", "2027-01-03", chrono_tz::UTC, GroupBy::Day);
    // 24 runs on 1 January use up a budget of 30 before the range: 6 are left.
    let mut s = hourly("UTC", Frequency::Hourly, "2027-01-01");
    s.max_runs = Some(30);
    let mut b = Builder::new(q.clone());
    add(&mut b, s.clone(), &WindowRuns::default());
    assert_eq!(counts(&b.finish()), [6, 0]);
    let mut paused = s.clone();
    paused.pause(Utc::now()).unwrap();
    let mut b = Builder::new(q.clone());
    add(&mut b, paused, &WindowRuns::default());
    let c = b.finish();
    assert!(c.schedules.is_empty() && c.total == 0);
    // A completed schedule shows its history only when asked.
    let mut done = s.clone();
    done.settle(None);
    let run = RunMark {
        at: Utc.with_ymd_and_hms(2027, 1, 3, 5, 0, 0).unwrap(),
        id: uuid::Uuid::now_v7(),
        status: ExecutionStatus::Pending,
        skip_reason: None,
    };
    let past = WindowRuns {
        counts: vec![0, 1],
        listed: vec![run],
    };
    let mut b = Builder::new(q.clone());
    add(&mut b, done.clone(), &past);
    assert_eq!(b.finish().total, 0);
    let mut b = Builder::new(CalendarQuery {
        include_completed: true,
        ..q
    });
    add(&mut b, done, &past);
    let c = b.finish();
    assert_eq!(counts(&c), [0, 1]);
    assert_eq!(
        c.days[1].items[0].kind,
        ItemKind::Past {
            status: ExecutionStatus::Pending,
            execution_id: run.id,
            skip_reason: None,
        }
    );
}

#[test]
fn past_runs_are_counted_and_only_the_listed_ones_shown() {
    let q = query("2027-01-02", "2027-01-02", chrono_tz::UTC, GroupBy::Day);
    let mut s = hourly("UTC", Frequency::Hourly, "2027-01-01");
    s.pause(Utc::now()).unwrap();
    let past = WindowRuns {
        counts: vec![2],
        listed: vec![RunMark {
            at: Utc.with_ymd_and_hms(2027, 1, 2, 1, 0, 0).unwrap(),
            id: uuid::Uuid::now_v7(),
            status: ExecutionStatus::Skipped,
            skip_reason: Some(SkipReason::Overlap),
        }],
    };
    let mut b = Builder::new(q);
    add(&mut b, s, &past);
    let c = b.finish();
    assert_eq!(counts(&c), [2]);
    assert_eq!(c.days[0].items.len(), 1);
    // A skipped run is listed with why it did not run.
    assert!(matches!(
        c.days[0].items[0].kind,
        ItemKind::Past {
            status: ExecutionStatus::Skipped,
            skip_reason: Some(SkipReason::Overlap),
            ..
        }
    ));
    assert!(c.days[0].truncated);
}

#[test]
fn weeks_start_on_monday() {
    assert_eq!(week_start(date("2027-03-28")), date("2027-03-22"));
    assert_eq!(week_start(date("2027-03-29")), date("2027-03-29"));
}

/// The planned runs as the calendar computed them before it counted arithmetic rules and
/// iterated from the window: `next_after` once per occurrence from `next_run_at`.
fn reference(s: &Schedule, lo: DateTime<Utc>, hi: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    if s.status() != ScheduleStatus::Active {
        return out;
    }
    let (Some(first), Ok(timing)) = (s.next_run_at(), Timing::of(s, &cals())) else {
        return out;
    };
    let mut left = s
        .max_runs
        .map(|m| m.saturating_sub(s.run_count()) as u64)
        .unwrap_or(u64::MAX);
    let mut cursor = Some(first);
    if s.max_runs.is_none() && first < lo {
        cursor = timing.next_from(lo);
    }
    while let Some(t) = cursor {
        if t >= hi || left == 0 {
            break;
        }
        left -= 1;
        if t >= lo {
            out.push(t);
        }
        cursor = timing.next_after(t);
    }
    out
}

fn expand(s: &Schedule, lo: DateTime<Utc>, hi: DateTime<Utc>) -> (Vec<DateTime<Utc>>, bool) {
    let mut out = Vec::new();
    let mut arithmetic = false;
    let mut steps = u64::MAX;
    let mut zones = Zones::new(lo, hi);
    let compiled = Compiled::of(s, &cals()).unwrap();
    planned(
        s,
        &compiled,
        &mut zones,
        lo,
        hi,
        &mut steps,
        |span| match span {
            Span::One(t) => out.push(t),
            Span::Every {
                first,
                step_secs,
                n,
            } => {
                arithmetic = true;
                let first = DateTime::from_timestamp(first, 0).unwrap();
                out.extend((0..n as i64).map(|k| first + Duration::seconds(k * step_secs)));
            }
        },
    );
    // Spans come in time order each, not among themselves.
    out.sort();
    (out, arithmetic)
}

pub(super) fn rule(freq: Frequency, interval: u32, tod: (u8, u8), start: &str) -> RecurrenceRule {
    let mut r = RecurrenceRule::new(freq, TimeOfDay::new(tod.0, tod.1).unwrap());
    r.interval = interval;
    r.start_date = Some(date(start));
    r
}

#[test]
fn planned_runs_match_stepping_one_by_one() {
    let zones = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "America/Santiago",
    ];
    let mut rules = vec![
        (rule(Frequency::Minutely, 1, (0, 0), "2027-03-20"), true),
        (rule(Frequency::Minutely, 7, (1, 3), "2027-03-20"), true),
        (rule(Frequency::Minutely, 45, (2, 30), "2027-03-25"), true),
        (rule(Frequency::Hourly, 1, (2, 30), "2027-03-01"), true),
        (rule(Frequency::Hourly, 5, (0, 15), "2027-02-11"), true),
        (rule(Frequency::Daily, 1, (2, 30), "2027-03-01"), true),
        (rule(Frequency::Daily, 3, (1, 45), "2027-03-01"), true),
        (rule(Frequency::Weekly, 2, (9, 0), "2027-01-04"), true),
    ];
    let mut weekdays = rule(Frequency::Daily, 1, (2, 15), "2027-03-01");
    weekdays.days_of_week = (1..=5).map(WeekdaySpec::every).collect();
    rules.push((weekdays, true));
    let mut two_days = rule(Frequency::Weekly, 1, (0, 30), "2027-03-03");
    two_days.days_of_week = vec![WeekdaySpec::every(7), WeekdaySpec::every(1)];
    rules.push((two_days, true));
    let mut twice_a_day = rule(Frequency::Daily, 1, (0, 0), "2027-03-01");
    twice_a_day.hours = vec![2, 14];
    rules.push((twice_a_day, false));
    let mut daily_skipping = rule(Frequency::Daily, 1, (2, 30), "2027-03-01");
    daily_skipping.exceptions = vec![Exception::Skip(date("2027-03-28"))];
    rules.push((daily_skipping, false));
    let mut ended = rule(Frequency::Minutely, 13, (0, 0), "2027-03-26");
    ended.end_date = Some(date("2027-03-28"));
    rules.push((ended, true));
    let mut ended = rule(Frequency::Hourly, 1, (0, 0), "2027-10-01");
    ended.end_date = Some(date("2027-11-01"));
    rules.push((ended, true));
    let mut counted = rule(Frequency::Hourly, 3, (0, 0), "2027-03-20");
    counted.count = Some(70);
    rules.push((counted, true));
    let mut filtered = rule(Frequency::Minutely, 10, (0, 0), "2027-03-20");
    filtered.hours = vec![1, 2, 3, 22];
    filtered.days_of_week = vec![WeekdaySpec::every(7), WeekdaySpec::every(1)];
    rules.push((filtered, false));
    let mut skipping = rule(Frequency::Hourly, 1, (0, 0), "2027-03-20");
    skipping.exceptions = vec![Exception::Skip(date("2027-03-28"))];
    rules.push((skipping, false));
    // Windows over the spring change in each hemisphere and the autumn one.
    let windows = [
        ("2027-03-26", "2027-03-30"),
        ("2027-04-02", "2027-04-05"),
        ("2027-10-30", "2027-11-08"),
        ("2026-12-30", "2027-01-02"),
    ];
    let utc = |d: &str| date(d).and_hms_opt(0, 0, 0).unwrap().and_utc();
    let mut arithmetic_cases = 0;
    for tz in zones {
        for (r, plain) in &rules {
            let base = schedule(tz, r.clone());
            // As created, part-way through (after some runs), and with a run budget.
            let mut variants = vec![base.clone()];
            let mut later = base.clone();
            let next = Timing::of(&later, &cals())
                .unwrap()
                .next_after(utc("2027-03-27"));
            later.settle(next);
            variants.push(later);
            let mut budget = base.clone();
            budget.max_runs = Some(400);
            (0..10).for_each(|_| budget.record_run(utc("2027-01-01")));
            variants.push(budget);
            for s in &variants {
                for (a, b) in windows {
                    let (lo, hi) = (utc(a), utc(b));
                    let (got, arithmetic) = expand(s, lo, hi);
                    let want = reference(s, lo, hi);
                    assert_eq!(got, want, "{tz} {r:?} max_runs {:?} [{a}, {b})", s.max_runs);
                    if arithmetic {
                        assert!(*plain, "{r:?} is not arithmetic");
                        arithmetic_cases += 1;
                    }
                }
            }
        }
    }
    assert!(arithmetic_cases > 100, "{arithmetic_cases}");
}

#[test]
fn per_day_counts_of_an_arithmetic_rule_match_its_items() {
    // A 7-minute rule across Berlin's autumn change, in New York's days: the count of each
    // day computed by division equals the listed items (all under the cap).
    let s = schedule(
        "Europe/Berlin",
        rule(Frequency::Minutely, 7, (0, 0), "2027-10-01"),
    );
    let tz = chrono_tz::America::New_York;
    let mut day = Builder::new(query("2027-10-30", "2027-11-08", tz, GroupBy::Day));
    add(&mut day, s.clone(), &WindowRuns::default());
    let day = day.finish();
    let mut month = Builder::new(query("2027-10-30", "2027-11-08", tz, GroupBy::Month));
    add(&mut month, s, &WindowRuns::default());
    let month = month.finish();
    assert_eq!(counts(&day), counts(&month));
    for d in &day.days {
        assert_eq!(d.total_count, d.items.len() as u64);
    }
    // 2027-11-07 in New York has 25 hours: 1500 minutes hold 214 or 215 runs 7 apart.
    assert!((214..=215).contains(&counts(&month)[8]));
}

#[test]
fn only_schedules_planned_without_stepping_are_light() {
    let light = |s: &Schedule| Compiled::of(s, &cals()).unwrap().is_light(s);
    let minutely = schedule("UTC", rule(Frequency::Minutely, 5, (0, 0), "2027-01-01"));
    assert!(light(&minutely));
    // A `next_run_at` off the sequence (a moved run) is stepped from.
    let mut moved = minutely.clone();
    moved.settle(moved.next_run_at().map(|t| t + Duration::seconds(30)));
    assert!(!light(&moved));
    let mut filtered = minutely.clone();
    if let ScheduleKind::Recurring { rule } = &mut filtered.kind {
        rule.hours = vec![9, 17];
    }
    assert!(!light(&filtered));
    let daily = schedule(
        "Europe/Berlin",
        rule(Frequency::Daily, 1, (9, 0), "2027-01-01"),
    );
    assert!(light(&daily));
    // A run budget counts the runs before the window: stepped.
    let mut budget = daily.clone();
    budget.max_runs = Some(10);
    assert!(!light(&budget));
    let monthly = schedule(
        "Europe/Berlin",
        rule(Frequency::Monthly, 1, (9, 0), "2027-01-01"),
    );
    assert!(!light(&monthly));
}
