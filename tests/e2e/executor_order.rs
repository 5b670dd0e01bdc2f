//! The queue as the executor runs it: priority order, FIFO within a priority, `urgent` taking
//! the next free slot, the per-user quota and the rate limits (work over a limit waits, it is
//! not dropped). Time is a `ManualClock`; the order is the order jobs reach the job system.

use crate::common;

use std::time::Duration;

use chrono::Duration as Span;
use common::harness::*;
use sgsched::executor::ExecutorConfig;
use sgsched::model::{ExecutionStatus, Priority};

fn one_at_a_time() -> ExecutorConfig {
    ExecutorConfig {
        max_concurrent: 1,
        max_concurrent_per_user: 1,
        ..wide_limits()
    }
}

#[tokio::test]
async fn priority_order_with_concurrency_one() {
    let jobs = RecordingJobs::new();
    let h = Harness::start(Setup {
        executor: one_at_a_time(),
        ..Setup::new(jobs.clone())
    })
    .await;
    let at = h.now() + Span::minutes(10);
    // Created least urgent first, so creation order cannot explain the result.
    let mut ids = Vec::new();
    for p in [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ] {
        ids.push(h.create(with_priority(once_at(p.as_str(), at), p)).await.id);
    }
    h.set(at);
    h.settle().await;
    let mut by_schedule = Vec::new();
    for key in jobs.keys() {
        let id: uuid::Uuid = key.parse().unwrap();
        let e = h
            .sched
            .storage()
            .execution(h.user, id)
            .await
            .unwrap()
            .unwrap();
        by_schedule.push(e.schedule_id);
        assert_eq!(e.status, ExecutionStatus::Completed);
        assert_eq!(e.scheduled_for, at);
        assert_eq!(e.started_at, Some(at));
    }
    let expected: Vec<_> = ids.iter().rev().copied().collect();
    assert_eq!(by_schedule, expected, "urgent, high, normal, low");
}

#[tokio::test]
async fn fifo_within_a_priority() {
    let jobs = RecordingJobs::new();
    let h = Harness::start(Setup {
        executor: one_at_a_time(),
        ..Setup::new(jobs.clone())
    })
    .await;
    let at = h.now() + Span::minutes(10);
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(h.create(once_at(&format!("n{i}"), at)).await.id);
    }
    // Due 30 s earlier (within the grace window) though created last: it goes first.
    let earlier = h
        .create(once_at("earlier", at - Span::seconds(30)))
        .await
        .id;
    h.set(at);
    h.settle().await;
    let mut order = Vec::new();
    for key in jobs.keys() {
        let e = h
            .sched
            .storage()
            .execution(h.user, key.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        order.push(e.schedule_id);
    }
    let mut expected = vec![earlier];
    expected.extend(ids);
    assert_eq!(order, expected);
}

#[tokio::test]
async fn urgent_takes_the_next_free_slot() {
    let jobs = RecordingJobs::new();
    let h = Harness::start(Setup {
        executor: one_at_a_time(),
        ..Setup::new(jobs.clone())
    })
    .await;
    let at = h.now() + Span::minutes(10);
    let low1 = h
        .create(with_priority(once_at("low1", at), Priority::Low))
        .await
        .id;
    let low2 = h
        .create(with_priority(once_at("low2", at), Priority::Low))
        .await
        .id;
    let normal = h.create(once_at("normal", at)).await.id;
    let urgent = h
        .create(with_priority(
            once_at("urgent", at + Span::minutes(1)),
            Priority::Urgent,
        ))
        .await
        .id;
    jobs.close();
    h.set(at - Span::seconds(1));
    h.set(at);
    // The normal run holds the only slot; the low ones wait.
    h.until(
        "the first run reaches the job system",
        Duration::from_secs(10),
        || async { jobs.log().len() == 1 },
    )
    .await;
    h.advance(Span::minutes(1));
    h.until(
        "the urgent run is queued",
        Duration::from_secs(10),
        || async {
            h.executions(urgent)
                .await
                .iter()
                .any(|e| e.status == ExecutionStatus::Pending)
        },
    )
    .await;
    jobs.open();
    h.settle().await;
    let mut order = Vec::new();
    for key in jobs.keys() {
        let e = h
            .sched
            .storage()
            .execution(h.user, key.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        order.push(e.schedule_id);
    }
    assert_eq!(order, [normal, urgent, low1, low2]);
}

#[tokio::test]
async fn per_user_quota_while_another_user_is_served() {
    let jobs = RecordingJobs::new();
    let config = ExecutorConfig {
        max_concurrent: 16,
        max_concurrent_per_user: 4,
        ..wide_limits()
    };
    let h = Harness::start(Setup {
        executor: config,
        ..Setup::new(jobs.clone())
    })
    .await;
    let at = h.now() + Span::minutes(10);
    let other = uuid::Uuid::now_v7();
    for i in 0..10 {
        h.create(with_priority(
            once_at(&format!("a{i}"), at),
            Priority::Urgent,
        ))
        .await;
    }
    for i in 0..3 {
        h.create_for(
            other,
            with_priority(once_at(&format!("b{i}"), at), Priority::Low),
        )
        .await;
    }
    jobs.close();
    h.set(at);
    h.until("7 runs in flight", Duration::from_secs(10), || async {
        jobs.log().len() == 7
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = jobs.log();
    assert_eq!(log.len(), 7, "4 of user a and 3 of user b, nothing more");
    let of_a = log
        .iter()
        .filter(|s| s.user_id == h.user.to_string())
        .count();
    assert_eq!(of_a, 4);
    assert_eq!(h.count_status(ExecutionStatus::Running).await, 7);
    assert_eq!(
        h.count_status(ExecutionStatus::Pending).await,
        6,
        "the rest waits"
    );
    jobs.open();
    h.settle().await;
    assert_eq!(h.count_status(ExecutionStatus::Completed).await, 13);
}

#[tokio::test]
async fn user_rate_limit_delays_without_dropping() {
    let jobs = RecordingJobs::new();
    // 30 per minute: a burst of 30, then one every 2 s.
    let config = ExecutorConfig {
        user_rate_per_minute: 30,
        ..wide_limits()
    };
    let h = Harness::start(Setup {
        executor: config,
        ..Setup::new(jobs.clone())
    })
    .await;
    let at = h.now() + Span::minutes(10);
    for i in 0..31 {
        h.create(once_at(&format!("r{i}"), at)).await;
    }
    h.set(at);
    h.until("the burst", Duration::from_secs(10), || async {
        jobs.log().len() == 30
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(jobs.log().len(), 30, "the 31st waits for the limiter");
    assert_eq!(h.count_status(ExecutionStatus::Pending).await, 1);
    h.settle_within(Duration::from_secs(10)).await;
    assert_eq!(
        h.count_status(ExecutionStatus::Completed).await,
        31,
        "nothing dropped"
    );
}

#[tokio::test]
async fn global_rate_limit_does_not_spend_user_tokens() {
    let jobs = RecordingJobs::new();
    // Global: a burst of 20, then one every 3 s. Users: a burst of 21 each, one more every
    // ~2.86 s. While the global limit holds everything back, refused attempts must not drain
    // the users' own allowances, or the next global token finds every user empty.
    let config = ExecutorConfig {
        user_rate_per_minute: 21,
        global_rate_per_minute: 20,
        ..wide_limits()
    };
    let h = Harness::start(Setup {
        executor: config,
        ..Setup::new(jobs.clone())
    })
    .await;
    let at = h.now() + Span::minutes(10);
    let other = uuid::Uuid::now_v7();
    for i in 0..20 {
        h.create_for(other, once_at(&format!("fill{i}"), at)).await;
    }
    h.create_for(other, with_priority(once_at("low", at), Priority::Low))
        .await;
    // Due after the burst is spent, so it competes only for refilled tokens.
    let urgent = h
        .create(with_priority(
            once_at("urgent", at + Span::seconds(1)),
            Priority::Urgent,
        ))
        .await
        .id;
    h.set(at);
    h.until("the global burst", Duration::from_secs(10), || async {
        jobs.log().len() == 20
    })
    .await;
    h.advance(Span::seconds(1));
    h.until("the urgent run", Duration::from_secs(10), || async {
        jobs.log().len() == 21
    })
    .await;
    let log = jobs.log();
    let first = h
        .sched
        .storage()
        .execution(h.user, log[20].idempotency_key.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        first.map(|e| e.schedule_id),
        Some(urgent),
        "the urgent run takes the next global token"
    );
    let waited = log[20].at - log[19].at;

    assert!(
        waited < Duration::from_millis(4500),
        "it should start when the global token comes (~3 s), took {waited:?}"
    );
    h.settle_within(Duration::from_secs(12)).await;
    assert_eq!(
        h.count_status(ExecutionStatus::Completed).await,
        22,
        "nothing dropped"
    );
}
