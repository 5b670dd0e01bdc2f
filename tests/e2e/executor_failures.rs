//! Failures become failed executions with their reason: a plugin that traps or loops past its
//! time limit, and a job system that answers 500, hangs past the client's timeout, or refuses
//! connections. The executor keeps serving after each.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use common::harness::*;
use job_system_stub::{Faults, Stub, StubConfig};
use serde_json::json;
use sgsched::jobsystem::{HttpJobSystem, HttpJobSystemConfig, JobSystem};
use sgsched::model::{Execution, ExecutionStatus, ScheduleType};
use sgsched::service::DraftParts;
use sgsched::store::{WriteSet, write_with};

/// Run one `once` execution of `parts` now and return it, final.
async fn run_once(h: &Harness, parts: DraftParts) -> Execution {
    let at = h.now() + Span::minutes(1);
    let id = h
        .create(DraftParts {
            schedule_type: Some(ScheduleType::Once),
            scheduled_at: Some(at),
            ..parts
        })
        .await
        .id;
    h.set(at);
    h.settle_within(Duration::from_secs(60)).await;
    let mut e = h.executions(id).await;
    assert_eq!(e.len(), 1);
    e.pop().unwrap()
}

/// A hostile schedule whose stored config asks for `mode`: validation would refuse a trapping
/// config, so the stored schedule is edited behind the service (as an older, since-broken
/// plugin version would have left it).
async fn hostile(h: &Harness, mode: &str) -> Execution {
    let at = h.now() + Span::minutes(1);
    let parts = DraftParts {
        name: Some(format!("hostile {mode}")),
        job_type: Some("hostile".into()),
        job_config: Some(json!({"mode": "ok"})),
        schedule_type: Some(ScheduleType::Once),
        scheduled_at: Some(at),
        ..DraftParts::default()
    };
    let mut s = h.create(parts).await;
    s.job_config = json!({"mode": mode});
    let stored = s.clone();
    write_with(&**h.sched.storage(), move |_| {
        Ok::<_, ()>((
            WriteSet {
                put_schedules: vec![stored.clone()],
                ..WriteSet::default()
            },
            (),
        ))
    })
    .await
    .unwrap()
    .unwrap();
    h.set(at);
    h.settle_within(Duration::from_secs(30)).await;
    let mut e = h.executions(s.id).await;
    assert_eq!(e.len(), 1);
    e.pop().unwrap()
}

fn failed_with(e: &Execution, needle: &str) {
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    let msg = e.error_message.as_deref().unwrap_or("");
    assert!(
        msg.contains(needle),
        "error {msg:?} should mention {needle:?}"
    );
    assert!(e.completed_at.is_some() && e.started_at.is_some());
}

#[tokio::test]
async fn failing_plugins_give_failed_executions() {
    let h = Harness::start(Setup {
        executor: wide_limits(),
        hostile: true,
        run_timeout: Duration::from_secs(1),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    failed_with(&hostile(&h, "trap").await, "trapped");
    failed_with(&hostile(&h, "panic").await, "hostile");
    failed_with(&hostile(&h, "loop").await, "time limit");
    // And the executor still runs good work.
    let ok = hostile(&h, "ok").await;
    assert_eq!(ok.status, ExecutionStatus::Completed);
    assert_eq!(ok.result_summary, Some(json!({"message": "ok"})));
}

async fn stub(config: StubConfig) -> (Stub, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stub = Stub::new(config);
    tokio::spawn(stub.clone().serve(listener, std::future::pending()));
    (stub, url)
}

fn http_jobs(url: &str) -> Arc<dyn JobSystem> {
    let config = HttpJobSystemConfig {
        request_timeout: Duration::from_millis(300),
        attempts: 2,
        backoff: Duration::from_millis(10),
        poll_interval: Duration::from_millis(20),
        ..HttpJobSystemConfig::new(url)
    };
    Arc::new(HttpJobSystem::new(config).unwrap())
}

#[tokio::test]
async fn failing_job_system_gives_failed_executions() {
    let (stub, url) = stub(StubConfig::default()).await;
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(http_jobs(&url))
    })
    .await;

    let ok = run_once(&h, export_parts("fine")).await;
    assert_eq!(
        ok.status,
        ExecutionStatus::Completed,
        "{:?}",
        ok.error_message
    );
    assert!(ok.job_id.is_some());

    stub.set_faults(Faults {
        submit_status: Some(500),
        ..Faults::default()
    });
    let e = run_once(&h, export_parts("500")).await;
    failed_with(&e, "500");
    assert!(e.job_id.is_none());

    stub.set_faults(Faults {
        hang_ms: 2_000,
        ..Faults::default()
    });
    let e = run_once(&h, export_parts("hang")).await;
    failed_with(&e, "unreachable");
    stub.set_faults(Faults::default());

    stub.set_faults(Faults {
        fail_jobs: true,
        ..Faults::default()
    });
    let e = run_once(&h, export_parts("job fails")).await;
    failed_with(&e, "injected failure");
    stub.set_faults(Faults::default());

    assert_eq!(
        run_once(&h, export_parts("recovered")).await.status,
        ExecutionStatus::Completed
    );
}

#[tokio::test]
async fn refused_connections_give_failed_executions() {
    // A port that was just free: nothing listens there.
    let url = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(http_jobs(&url))
    })
    .await;
    let e = run_once(&h, export_parts("refused")).await;
    failed_with(&e, "unreachable");
    let msg = e.error_message.unwrap().to_lowercase();
    assert!(msg.contains("refused") || msg.contains("connect"), "{msg}");
}

#[tokio::test]
async fn a_schedule_whose_timing_cannot_be_computed_fails_alone() {
    // Two recurring schedules due at the same instant, claimed in one batch; the second's stored
    // rule is edited behind the service into one the engine refuses (no rule at all). It gets a
    // failed execution naming the reason and is paused; the first runs, and so does its next
    // occurrence: the claimer is not stuck on the bad one.
    let h = Harness::start(Setup {
        executor: wide_limits(),
        ..Setup::new(RecordingJobs::new())
    })
    .await;
    let rule = json!({"frequency": "minutely", "interval": 30, "time_of_day": "09:30", "start_date": "2026-03-02"});
    let good = h.create(recurring("good", "UTC", rule.clone())).await.id;
    let mut bad = h.create(recurring("bad", "UTC", rule)).await;
    // A stored rule this build no longer accepts: its start date is gone.
    if let sgsched::model::ScheduleKind::Recurring { rule } = &mut bad.kind {
        rule.start_date = None;
    }
    let stored = bad.clone();
    write_with(&**h.sched.storage(), move |_| {
        Ok::<_, ()>((
            WriteSet {
                put_schedules: vec![stored.clone()],
                ..WriteSet::default()
            },
            (),
        ))
    })
    .await
    .unwrap()
    .unwrap();
    let first = utc(2026, 3, 2, 9, 30);
    h.set(first);
    h.settle().await;
    h.set(first + Span::minutes(30));
    h.settle().await;

    let runs: Vec<_> = h
        .executions(good)
        .await
        .iter()
        .map(|e| (e.scheduled_for, e.status))
        .collect();
    assert_eq!(
        runs,
        [
            (first, ExecutionStatus::Completed),
            (first + Span::minutes(30), ExecutionStatus::Completed)
        ]
    );
    let failed = h.executions(bad.id).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].scheduled_for, first);
    assert_eq!(failed[0].status, ExecutionStatus::Failed);
    assert_eq!(
        failed[0].error_message.as_deref(),
        Some("the schedule's timing cannot be computed: recurrence_rule.start_date: is required")
    );
    let bad = h.schedule(bad.id).await;
    assert_eq!(bad.status(), sgsched::model::ScheduleStatus::Paused);
    assert_eq!(bad.stats.failure_streak, 1);
}
