//! Missed runs: after a three-day downtime (the clock jumps while the executor could not run)
//! and after a three-day pause, each missed policy gives exactly the executions it promises,
//! at their exact instants; a run late by less than the grace window is not missed.

use crate::common;

use chrono::{DateTime, Duration as Span, Utc};
use common::harness::*;
use serde_json::json;
use sgsched::model::{ExecutionStatus, MissedPolicy, ScheduleStatus, StatusAction};

/// Every 30 minutes from 2026-03-02 09:30 UTC; the harness clock starts at 09:00.
fn every_30_min() -> serde_json::Value {
    json!({"frequency": "minutely", "interval": 30, "time_of_day": "09:30", "start_date": "2026-03-02"})
}

fn slot(k: i64) -> DateTime<Utc> {
    utc(2026, 3, 2, 9, 30) + Span::minutes(30 * k)
}

/// 09:30 on Mar 2 to 09:00 on Mar 5: 144 occurrences.
const MISSED: i64 = 144;

/// What each policy must leave: (instant, status) in `scheduled_for` order, and the run count.
fn expected(policy: MissedPolicy) -> (Vec<(DateTime<Utc>, ExecutionStatus)>, u32) {
    let all: Vec<DateTime<Utc>> = (0..MISSED).map(slot).collect();
    let mark = |run: &dyn Fn(i64) -> bool| {
        all.iter()
            .enumerate()
            .map(|(k, at)| {
                (
                    *at,
                    if run(k as i64) {
                        ExecutionStatus::Completed
                    } else {
                        ExecutionStatus::Skipped
                    },
                )
            })
            .collect()
    };
    match policy {
        // Capped at 100: the oldest 100 run, the 44 after them are recorded skipped.
        MissedPolicy::RunAll => (mark(&|k| k < 100), 100),
        MissedPolicy::RunLatest => (mark(&|k| k == MISSED - 1), 1),
        MissedPolicy::Skip => (mark(&|_| false), 0),
    }
}

async fn check(h: &Harness, id: uuid::Uuid, policy: MissedPolicy) {
    let (want, runs) = expected(policy);
    let got: Vec<_> = h
        .executions(id)
        .await
        .iter()
        .map(|e| (e.scheduled_for, e.status))
        .collect();
    assert_eq!(
        got.len(),
        want.len(),
        "{policy}: one record per missed occurrence"
    );
    assert_eq!(got, want, "{policy}");
    let s = h.schedule(id).await;
    assert_eq!(s.run_count(), runs, "{policy}");
    assert_eq!(s.status(), ScheduleStatus::Active);
    assert_eq!(
        s.next_run_at(),
        Some(utc(2026, 3, 5, 9, 30)),
        "{policy}: the next occurrence after now"
    );
    // And it carries on normally.
    h.set(utc(2026, 3, 5, 9, 30));
    h.settle().await;
    let last = h.executions(id).await.pop().unwrap();
    assert_eq!(
        (last.scheduled_for, last.status),
        (utc(2026, 3, 5, 9, 30), ExecutionStatus::Completed)
    );
}

async fn downtime(policy: MissedPolicy) {
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    let id = h
        .create(with_missed(
            recurring("every 30 min", "UTC", every_30_min()),
            policy,
        ))
        .await
        .id;
    assert_eq!(h.schedule(id).await.next_run_at(), Some(slot(0)));
    h.set(utc(2026, 3, 5, 9, 10));
    h.settle().await;
    check(&h, id, policy).await;
}

async fn paused(policy: MissedPolicy) {
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    let id = h
        .create(with_missed(
            recurring("every 30 min", "UTC", every_30_min()),
            policy,
        ))
        .await
        .id;
    h.sched
        .transition(h.user, id, StatusAction::Pause)
        .await
        .unwrap();
    h.set(utc(2026, 3, 5, 9, 10));
    h.settle().await;
    assert!(
        h.executions(id).await.is_empty(),
        "nothing runs while paused"
    );
    h.sched.resume(h.user, id, false).await.unwrap();
    h.settle().await;
    check(&h, id, policy).await;
}

#[tokio::test]
async fn downtime_run_all_is_capped_at_100() {
    downtime(MissedPolicy::RunAll).await;
}

#[tokio::test]
async fn downtime_run_latest() {
    downtime(MissedPolicy::RunLatest).await;
}

#[tokio::test]
async fn downtime_skip() {
    downtime(MissedPolicy::Skip).await;
}

#[tokio::test]
async fn pause_run_all_is_capped_at_100() {
    paused(MissedPolicy::RunAll).await;
}

#[tokio::test]
async fn pause_run_latest() {
    paused(MissedPolicy::RunLatest).await;
}

#[tokio::test]
async fn pause_skip() {
    paused(MissedPolicy::Skip).await;
}

#[tokio::test]
async fn late_within_grace_is_not_missed() {
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    let id = h
        .create(recurring("every 30 min", "UTC", every_30_min()))
        .await
        .id;
    h.set(slot(0) + Span::seconds(59));
    h.settle().await;
    let got: Vec<_> = h
        .executions(id)
        .await
        .iter()
        .map(|e| (e.scheduled_for, e.status))
        .collect();
    assert_eq!(got, [(slot(0), ExecutionStatus::Completed)]);
    assert_eq!(h.schedule(id).await.next_run_at(), Some(slot(1)));
}

#[tokio::test]
async fn after_downtime_an_occurrence_within_grace_still_runs() {
    // Back at 09:00:30 on Mar 5: the 09:00 run is 30 s late, within the 60 s grace; only the
    // 143 before it are missed (policy skip).
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    let id = h
        .create(recurring("every 30 min", "UTC", every_30_min()))
        .await
        .id;
    h.set(slot(MISSED - 1) + Span::seconds(30));
    h.settle().await;
    let execs = h.executions(id).await;
    assert_eq!(execs.len(), MISSED as usize);
    assert!(
        execs[..143]
            .iter()
            .all(|e| e.status == ExecutionStatus::Skipped)
    );
    assert_eq!(
        (execs[143].scheduled_for, execs[143].status),
        (slot(MISSED - 1), ExecutionStatus::Completed)
    );
    assert_eq!(h.schedule(id).await.run_count(), 1);
}

#[tokio::test]
async fn a_pause_ending_within_grace_misses_nothing() {
    // Paused before the 09:30 run, resumed 30 s after it: the run is late by less than the grace
    // window, so it is not missed (policy skip would otherwise record it skipped); it runs.
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    let id = h
        .create(with_missed(
            recurring("every 30 min", "UTC", every_30_min()),
            MissedPolicy::Skip,
        ))
        .await
        .id;
    h.sched
        .transition(h.user, id, StatusAction::Pause)
        .await
        .unwrap();
    h.set(slot(0) + Span::seconds(30));
    h.settle().await;
    assert!(h.executions(id).await.is_empty());
    let resumed = h.sched.resume(h.user, id, false).await.unwrap();
    assert_eq!(resumed.next_run_at(), Some(slot(0)));
    h.settle().await;
    let got: Vec<_> = h
        .executions(id)
        .await
        .iter()
        .map(|e| (e.scheduled_for, e.status))
        .collect();
    assert_eq!(got, [(slot(0), ExecutionStatus::Completed)]);
    let s = h.schedule(id).await;
    assert_eq!(
        (s.status(), s.next_run_at()),
        (ScheduleStatus::Active, Some(slot(1)))
    );
}
