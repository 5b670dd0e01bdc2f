//! `cargo bench -p sgsched --bench calendar`
//!
//! The month calendar (target <= 20 ms p99) of one user owning 1,000 schedules of mixed rules —
//! per 250: 1 minutely, 24 hourly, 125 daily, 100 weekly, over four timezones — in a temp
//! store holding the first half of the month as run history (every run of every schedule,
//! ~130,000 executions, most of them the minutely ones'). Measured through
//! `calendar::gather`, the reads and computation the API runs (rendering 31 counts is left
//! out), with p50/p99 over sequential requests; beside it in the same run, as the baseline,
//! the schedule page's read (`schedule_with_recent`, what `GET /v1/schedules/{id}` reads), and
//! the week view of the same data for scale.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group};
use sgsched::calendar::{Builder, CalendarQuery, Context, GroupBy, gather};
use sgsched::model::timing::Timing;
use sgsched::model::*;
use sgsched::recurrence::{Frequency, HolidayCalendars, RecurrenceRule, TimeOfDay};
use sgsched::store::prelude::*;
use sgsched::store::{Store, WriteSet};
use uuid::Uuid;

const SCHEDULES: usize = 1000;
const ZONES: [&str; 4] = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 16, 0, 0, 0).unwrap()
}

fn rule(i: usize) -> RecurrenceRule {
    let tod = TimeOfDay::new((i % 24) as u8, ((i * 7) % 60) as u8).unwrap();
    let mut r = match i % 250 {
        0 => {
            let mut r = RecurrenceRule::new(Frequency::Minutely, TimeOfDay::new(0, 0).unwrap());
            r.interval = 1 + (i % 3) as u32;
            r
        }
        1..=24 => RecurrenceRule::new(Frequency::Hourly, tod),
        25..=149 => RecurrenceRule::new(Frequency::Daily, tod),
        150..=199 => RecurrenceRule::new(Frequency::Weekly, tod),
        _ => {
            let mut r = RecurrenceRule::new(Frequency::Weekly, tod);
            r.days_of_week = vec![
                sgsched::recurrence::WeekdaySpec::every(1 + (i % 5) as u8),
                sgsched::recurrence::WeekdaySpec::every(1 + ((i + 2) % 5) as u8),
            ];
            r
        }
    };
    r.start_date = NaiveDate::from_ymd_opt(2026, 12, 1);
    r
}

fn schedule(user: UserId, i: usize, calendars: &HolidayCalendars) -> Schedule {
    let created = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
    let config =
        serde_json::json!({"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"});
    let mut s = fixtures::schedule(user, created)
        .name(format!("cal {i}"))
        .job("export", config)
        .recurring(rule(i), ZONES[i % ZONES.len()].parse().unwrap())
        .priority(Priority::ALL[i % 4])
        .build();
    let first = Timing::of(&s, calendars).unwrap().next_from(now());
    s.settle(first);
    s
}

/// A store with the user's schedules and every run from the 1st of the month to `now`.
async fn fill(store: &Store, user: UserId, calendars: &HolidayCalendars) -> (ScheduleId, usize) {
    let month_start = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let mut runs = 0;
    let mut first = None;
    let mut batch = WriteSet::default();
    for i in 0..SCHEDULES {
        let mut s = schedule(user, i, calendars);
        first.get_or_insert(s.id);
        let timing = Timing::of(&s, calendars).unwrap();
        let (times, _) = timing.between(month_start, now() - chrono::Duration::seconds(1), 100_000);
        for t in times {
            let mut e = Execution::pending(&s, t, t, false, true);
            e.status = ExecutionStatus::Completed;
            e.started_at = Some(t);
            e.completed_at = Some(t + chrono::Duration::seconds(20));
            batch.put_executions.push(e);
            s.record_run(t);
        }
        runs += s.run_count() as usize;
        batch.put_schedules.push(s);
        if batch.put_executions.len() >= 5000 || i + 1 == SCHEDULES {
            let writes = std::mem::take(&mut batch);
            store.put(writes).await.unwrap();
        }
    }
    (first.unwrap(), runs)
}

fn query(start: (i32, u32, u32), end: (i32, u32, u32), group_by: GroupBy) -> CalendarQuery {
    CalendarQuery {
        start: NaiveDate::from_ymd_opt(start.0, start.1, start.2).unwrap(),
        end: NaiveDate::from_ymd_opt(end.0, end.1, end.2).unwrap(),
        tz: chrono_tz::Europe::Berlin,
        group_by,
        include_completed: false,
        include_cancelled: false,
        job_type: None,
    }
}

fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)].as_secs_f64() * 1e3;
    (at(0.5), at(0.99))
}

struct Setup {
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    store: Store,
    user: UserId,
    calendars: Arc<HolidayCalendars>,
    /// Compiled timings, kept between requests as the server keeps them.
    calendar: Context,
    first: ScheduleId,
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.redb")).unwrap();
    let user = Uuid::now_v7();
    let calendars = Arc::new(HolidayCalendars::builtin());
    let built = Instant::now();
    let (first, runs) = rt.block_on(fill(&store, user, &calendars));
    println!(
        "{SCHEDULES} schedules, {runs} past runs written in {:.1} s",
        built.elapsed().as_secs_f64()
    );
    Setup {
        rt,
        _dir: dir,
        store,
        user,
        calendars,
        calendar: Context::default(),
        first,
    }
}

fn figures(s: &Setup) {
    let month = query((2027, 1, 1), (2027, 1, 31), GroupBy::Month);
    let week = query((2027, 1, 11), (2027, 1, 17), GroupBy::Week);
    // `cold`: nothing kept, as for a user whose data just changed; else the server's case
    // for unchanged data (the user's schedules and their timings kept between requests).
    let calendar = |q: &CalendarQuery, n: usize, cold: bool| {
        let mut lat = Vec::with_capacity(n);
        let mut total = 0;
        for _ in 0..n {
            let fresh = Context::default();
            let cx = if cold { &fresh } else { &s.calendar };
            let t = Instant::now();
            let c =
                s.rt.block_on(gather(
                    &s.store,
                    s.user,
                    s.store.data_version(s.user),
                    q.clone(),
                    cx,
                    &s.calendars,
                ))
                .unwrap();
            lat.push(t.elapsed());
            total = c.total;
        }
        (percentiles(lat), total)
    };
    let mut lat = Vec::new();
    for _ in 0..20_000 {
        let t = Instant::now();
        s.rt.block_on(s.store.schedule_with_recent(s.user, s.first, 5))
            .unwrap()
            .unwrap();
        lat.push(t.elapsed());
    }
    let (g50, g99) = percentiles(lat);
    let ((m50, m99), m_total) = calendar(&month, 200, true);
    let ((k50, k99), _) = calendar(&month, 200, false);
    let ((w50, w99), w_total) = calendar(&week, 50, true);
    println!(
        "baseline, schedule page read (GET /v1/schedules/{{id}}): p50 {g50:.3} ms  p99 {g99:.3} ms"
    );
    println!(
        "month calendar, {SCHEDULES} schedules, {m_total} runs: p50 {m50:.2} ms  p99 {m99:.2} ms \
         (target p99 <= 20 ms: {:.2}x of target; {:.0}x the point read's p50)",
        m99 / 20.0,
        m50 / g50
    );
    println!(
        "month calendar, schedules and timings kept (unchanged data): p50 {k50:.2} ms  p99 {k99:.2} ms"
    );
    println!(
        "week view (listing items), same data, {w_total} runs: p50 {w50:.2} ms  p99 {w99:.2} ms"
    );
}

/// Where a month calendar's time goes: the schedule page read, the runs index read, and the
/// computation (p50 of each over sequential runs).
fn breakdown(s: &Setup) {
    let month = query((2027, 1, 1), (2027, 1, 31), GroupBy::Month);
    let (mut list, mut runs, mut compute) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..50 {
        let t = Instant::now();
        let page =
            s.rt.block_on(
                s.store
                    .list_schedules_shared(s.user, Default::default(), None, 1000),
            )
            .unwrap();
        list.push(t.elapsed());
        let mut b = Builder::new(month.clone());
        let bounds: Arc<[DateTime<Utc>]> = b.bounds().into();
        let t = Instant::now();
        let marks =
            s.rt.block_on(
                s.store
                    .runs_in_window(page.iter().map(|s| s.id).collect(), bounds, 0),
            )
            .unwrap();
        runs.push(t.elapsed());
        let t = Instant::now();
        let plans = s.calendar.plans.of(&page, &s.calendars);
        for ((sch, m), plan) in page.into_iter().zip(marks).zip(plans) {
            b.add(sch, &plan, &m);
        }
        b.finish();
        compute.push(t.elapsed());
    }
    let (l, _) = percentiles(list);
    let (r, _) = percentiles(runs);
    let (c, _) = percentiles(compute);
    println!(
        "month calendar p50 breakdown: schedule page read {l:.2} ms, runs index read {r:.2} ms, computation {c:.2} ms"
    );
}

fn benches(c: &mut Criterion, s: &Setup) {
    let month = query((2027, 1, 1), (2027, 1, 31), GroupBy::Month);
    c.bench_function("schedule page read (baseline)", |b| {
        b.iter(|| {
            s.rt.block_on(s.store.schedule_with_recent(s.user, s.first, 5))
                .unwrap()
        })
    });
    c.bench_function("month calendar, 1,000 schedules", |b| {
        b.iter(|| {
            s.rt.block_on(gather(
                &s.store,
                s.user,
                s.store.data_version(s.user),
                month.clone(),
                &s.calendar,
                &s.calendars,
            ))
            .unwrap()
        })
    });
}

fn run(c: &mut Criterion) {
    let s = setup();
    figures(&s);
    breakdown(&s);
    benches(c, &s);
}

criterion_group! {
    name = group;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = run
}

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
}
