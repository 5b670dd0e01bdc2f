//! A schedule's life under the executor: overlap (skip records a skipped execution, queue runs
//! after the previous run), completion by `max_runs`, `count`, `end_date` and `once`, run-now
//! with and without counting, and a daily 02:30 New York schedule across both 2026 DST
//! changes running exactly once a day at the exact instants.

use crate::common;

use std::time::Duration;

use chrono::{DateTime, Duration as Span, Utc};
use common::harness::*;
use serde_json::json;
use sgsched::model::{ExecutionStatus, OverlapPolicy, ScheduleStatus};
use sgsched::service::RunOptions;

fn every_minute() -> serde_json::Value {
    json!({"frequency": "minutely", "interval": 1, "time_of_day": "09:01", "start_date": "2026-03-02"})
}

#[tokio::test]
async fn overlap_skip_records_a_skipped_execution() {
    let jobs = RecordingJobs::new();
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(jobs.clone())
    })
    .await;
    let id = h
        .create(with_overlap(
            recurring("m", "UTC", every_minute()),
            OverlapPolicy::Skip,
        ))
        .await
        .id;
    jobs.close();
    h.set(utc(2026, 3, 2, 9, 1));
    h.until(
        "the first run is running",
        Duration::from_secs(10),
        || async { jobs.log().len() == 1 },
    )
    .await;
    h.set(utc(2026, 3, 2, 9, 2));
    h.until(
        "the overlapping occurrence is recorded",
        Duration::from_secs(10),
        || async { h.executions(id).await.len() == 2 },
    )
    .await;
    let e = h.executions(id).await;
    assert_eq!(
        statuses(&e),
        [ExecutionStatus::Running, ExecutionStatus::Skipped]
    );
    assert!(
        e[1].error_message
            .as_deref()
            .unwrap_or("")
            .contains("still running"),
        "{:?}",
        e[1].error_message
    );
    jobs.open();
    h.settle().await;
    h.set(utc(2026, 3, 2, 9, 3));
    h.settle().await;
    let e = h.executions(id).await;
    assert_eq!(
        e.iter()
            .map(|e| (e.scheduled_for, e.status))
            .collect::<Vec<_>>(),
        [
            (utc(2026, 3, 2, 9, 1), ExecutionStatus::Completed),
            (utc(2026, 3, 2, 9, 2), ExecutionStatus::Skipped),
            (utc(2026, 3, 2, 9, 3), ExecutionStatus::Completed),
        ]
    );
    assert_eq!(
        h.schedule(id).await.run_count(),
        2,
        "a skipped occurrence is not a run"
    );
    // The calendar lists the skipped run with why it did not run.
    let query = sgsched::calendar::CalendarQuery {
        start: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        end: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        tz: chrono_tz::UTC,
        group_by: sgsched::calendar::GroupBy::Day,
        include_completed: false,
        include_cancelled: false,
        job_type: None,
    };
    let version = h.sched.data_version(h.user);
    let cal = h
        .sched
        .calendar(h.user, version, query, &Default::default())
        .await
        .unwrap();
    let past: Vec<_> = cal.days[0]
        .items
        .iter()
        .filter_map(|it| match &it.kind {
            sgsched::calendar::ItemKind::Past {
                status,
                skip_reason,
                ..
            } => Some((it.at, *status, *skip_reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        past,
        [
            (utc(2026, 3, 2, 9, 1), ExecutionStatus::Completed, None),
            (
                utc(2026, 3, 2, 9, 2),
                ExecutionStatus::Skipped,
                Some(sgsched::model::SkipReason::Overlap)
            ),
            (utc(2026, 3, 2, 9, 3), ExecutionStatus::Completed, None),
        ]
    );
}

#[tokio::test]
async fn overlap_queue_runs_after_the_previous_one() {
    let jobs = RecordingJobs::new();
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(jobs.clone())
    })
    .await;
    let id = h
        .create(with_overlap(
            recurring("m", "UTC", every_minute()),
            OverlapPolicy::Queue,
        ))
        .await
        .id;
    jobs.close();
    h.set(utc(2026, 3, 2, 9, 1));
    h.until(
        "the first run is running",
        Duration::from_secs(10),
        || async { jobs.log().len() == 1 },
    )
    .await;
    h.set(utc(2026, 3, 2, 9, 2));
    h.until("the second is queued", Duration::from_secs(10), || async {
        h.executions(id).await.len() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let e = h.executions(id).await;
    assert_eq!(
        statuses(&e),
        [ExecutionStatus::Running, ExecutionStatus::Pending],
        "it waits, it is not started"
    );
    assert_eq!(jobs.log().len(), 1);
    jobs.open();
    h.settle().await;
    let e = h.executions(id).await;
    assert_eq!(
        statuses(&e),
        [ExecutionStatus::Completed, ExecutionStatus::Completed]
    );
    let keys: Vec<String> = e.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(
        jobs.keys(),
        keys,
        "the second reached the job system after the first"
    );
    assert_eq!(h.schedule(id).await.run_count(), 2);
}

/// Step the clock to each `next_run_at` until the schedule is final; the instants run.
async fn run_to_completion(h: &Harness, id: uuid::Uuid) -> Vec<DateTime<Utc>> {
    for _ in 0..50 {
        let s = h.schedule(id).await;
        if is_final(&s) {
            assert_eq!(s.status(), ScheduleStatus::Completed);
            assert_eq!(s.next_run_at(), None);
            let e = h.executions(id).await;
            assert!(
                e.iter().all(|e| e.status == ExecutionStatus::Completed),
                "{:?}",
                statuses(&e)
            );
            assert!(
                e.iter().all(|e| e.started_at == Some(e.scheduled_for)),
                "each started at its instant"
            );
            assert_eq!(s.run_count() as usize, e.len());
            return instants(&e);
        }
        h.set(s.next_run_at().expect("an active schedule has a next run"));
        h.settle().await;
    }
    panic!("schedule {id} did not complete");
}

#[tokio::test]
async fn completion_by_max_runs_count_end_date_and_once() {
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    let hourly = json!({"frequency": "hourly", "time_of_day": "10:00", "start_date": "2026-03-02"});
    let mut max_runs = recurring("max_runs", "UTC", hourly);
    max_runs.max_runs = Some(3);
    let max_runs = h.create(max_runs).await.id;
    assert_eq!(
        run_to_completion(&h, max_runs).await,
        [
            utc(2026, 3, 2, 10, 0),
            utc(2026, 3, 2, 11, 0),
            utc(2026, 3, 2, 12, 0)
        ]
    );

    let count = json!({"frequency": "daily", "time_of_day": "10:00", "start_date": "2026-03-03", "count": 3});
    let count = h.create(recurring("count", "UTC", count)).await.id;
    assert_eq!(
        run_to_completion(&h, count).await,
        [
            utc(2026, 3, 3, 10, 0),
            utc(2026, 3, 4, 10, 0),
            utc(2026, 3, 5, 10, 0)
        ]
    );

    let end = json!({"frequency": "daily", "time_of_day": "08:00", "start_date": "2026-03-06", "end_date": "2026-03-08"});
    let end = h
        .create(recurring("end_date", "Europe/Paris", end))
        .await
        .id;
    assert_eq!(
        run_to_completion(&h, end).await,
        [
            utc(2026, 3, 6, 7, 0),
            utc(2026, 3, 7, 7, 0),
            utc(2026, 3, 8, 7, 0)
        ]
    );

    let once = h.create(once_at("once", utc(2026, 3, 9, 12, 0))).await.id;
    assert_eq!(run_to_completion(&h, once).await, [utc(2026, 3, 9, 12, 0)]);
}

#[tokio::test]
async fn run_now_with_and_without_counting() {
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    let daily = json!({"frequency": "daily", "time_of_day": "10:00", "start_date": "2026-03-02"});
    let mut parts = recurring("daily", "UTC", daily);
    parts.max_runs = Some(2);
    let id = h.create(parts).await.id;
    let next = h.schedule(id).await.next_run_at();
    assert_eq!(next, Some(utc(2026, 3, 2, 10, 0)));

    let free = h
        .sched
        .run_now(
            h.user,
            id,
            RunOptions {
                count_toward_max_runs: false,
            },
        )
        .await
        .unwrap();
    h.settle().await;
    let s = h.schedule(id).await;
    assert_eq!(
        (s.run_count(), s.next_run_at(), s.status()),
        (0, next, ScheduleStatus::Active)
    );
    let e = h
        .sched
        .storage()
        .execution(h.user, free.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.status, ExecutionStatus::Completed);
    assert!(e.is_manual && !e.counts_toward_max_runs);
    assert_eq!(e.scheduled_for, h.now());

    h.advance(Span::minutes(5));
    let counted = h
        .sched
        .run_now(
            h.user,
            id,
            RunOptions {
                count_toward_max_runs: true,
            },
        )
        .await
        .unwrap();
    h.settle().await;
    let s = h.schedule(id).await;
    assert_eq!(
        (s.run_count(), s.next_run_at(), s.status()),
        (1, next, ScheduleStatus::Active)
    );
    let e = h
        .sched
        .storage()
        .execution(h.user, counted.id)
        .await
        .unwrap()
        .unwrap();
    assert!(e.is_manual && e.counts_toward_max_runs && e.status == ExecutionStatus::Completed);

    // The scheduled run is the second counted one: max_runs 2 completes the schedule.
    h.set(utc(2026, 3, 2, 10, 0));
    h.settle().await;
    let s = h.schedule(id).await;
    assert_eq!(
        (s.run_count(), s.next_run_at(), s.status()),
        (2, None, ScheduleStatus::Completed)
    );
    let e = h.executions(id).await;
    assert_eq!(e.len(), 3);
    assert_eq!(e.iter().filter(|e| e.is_manual).count(), 2);
}

/// Walk the clock in 30-minute steps over `[from, to)`, letting the executor act at each.
async fn walk(h: &Harness, from: DateTime<Utc>, to: DateTime<Utc>) {
    let mut t = from;
    while t < to {
        h.set(t);
        h.settle().await;
        t += Span::minutes(30);
    }
}

#[tokio::test]
async fn daily_0230_new_york_across_both_dst_changes() {
    let h = Harness::start(Setup {
        executor: wide_limits(),
        start: utc(2026, 3, 6, 0, 0),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    let spring = json!({"frequency": "daily", "time_of_day": "02:30", "start_date": "2026-03-06", "end_date": "2026-03-10"});
    let fall = json!({"frequency": "daily", "time_of_day": "02:30", "start_date": "2026-10-30", "end_date": "2026-11-03"});
    let spring = h
        .create(recurring("spring", "America/New_York", spring))
        .await
        .id;
    let fall = h
        .create(recurring("fall", "America/New_York", fall))
        .await
        .id;

    walk(&h, utc(2026, 3, 6, 0, 0), utc(2026, 3, 11, 12, 0)).await;
    let e = h.executions(spring).await;
    assert_eq!(
        instants(&e),
        [
            utc(2026, 3, 6, 7, 30),  // 02:30 EST
            utc(2026, 3, 7, 7, 30),  // 02:30 EST
            utc(2026, 3, 8, 7, 30),  // 02:30 does not exist: 03:30 EDT
            utc(2026, 3, 9, 6, 30),  // 02:30 EDT
            utc(2026, 3, 10, 6, 30), // 02:30 EDT
        ]
    );
    assert!(
        e.iter().all(
            |e| e.status == ExecutionStatus::Completed && e.started_at == Some(e.scheduled_for)
        )
    );
    assert_eq!(h.schedule(spring).await.status(), ScheduleStatus::Completed);

    walk(&h, utc(2026, 10, 30, 0, 0), utc(2026, 11, 4, 12, 0)).await;
    let e = h.executions(fall).await;
    assert_eq!(
        instants(&e),
        [
            utc(2026, 10, 30, 6, 30), // 02:30 EDT
            utc(2026, 10, 31, 6, 30), // 02:30 EDT
            utc(2026, 11, 1, 7, 30),  // after the 02:00 EDT -> 01:00 EST fall-back, 02:30 EST, once
            utc(2026, 11, 2, 7, 30),  // 02:30 EST
            utc(2026, 11, 3, 7, 30),  // 02:30 EST
        ]
    );
    assert!(
        e.iter().all(
            |e| e.status == ExecutionStatus::Completed && e.started_at == Some(e.scheduled_for)
        )
    );
    assert_eq!(h.schedule(fall).await.status(), ScheduleStatus::Completed);
}
