//! Each operation of the service on a real store: the statuses, next runs, counts and
//! executions it leaves, and the error it answers when refused (a refusal writes nothing).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::support::*;
use crate::model::{
    Execution, ExecutionStatus, MissedPolicy, Priority, ScheduleStatus, SkipReason, StatusAction,
};
use crate::service::{PatchParts, RunOptions, ServiceError};

/// What a test states about an execution: when, its status, manual, counting, why skipped.
type Run = (
    DateTime<Utc>,
    ExecutionStatus,
    bool,
    bool,
    Option<SkipReason>,
);

fn view(runs: &[Execution]) -> Vec<Run> {
    runs.iter()
        .map(|e| {
            (
                e.scheduled_for,
                e.status,
                e.is_manual,
                e.counts_toward_max_runs,
                e.skip_reason,
            )
        })
        .collect()
}

fn pending(at: DateTime<Utc>) -> Run {
    (at, ExecutionStatus::Pending, false, true, None)
}

fn skipped(at: DateTime<Utc>, why: SkipReason) -> Run {
    (at, ExecutionStatus::Skipped, false, false, Some(why))
}

fn fields(e: ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        e => panic!("expected Invalid, got {e:?}"),
    }
}

fn conflict(e: ServiceError) -> (ScheduleStatus, StatusAction) {
    match e {
        ServiceError::Conflict { current, action } => (current, action),
        e => panic!("expected Conflict, got {e:?}"),
    }
}

fn final_(e: ServiceError) -> (ScheduleStatus, &'static str) {
    match e {
        ServiceError::Final { current, what } => (current, what),
        e => panic!("expected Final, got {e:?}"),
    }
}

/// Monday 2 March 2026, 09:00 UTC.
fn t0() -> DateTime<Utc> {
    utc(2026, 3, 2, 9, 0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_once_schedule_runs_at_its_time_and_completes() {
    let env = Env::new(t0());
    let draft = env
        .sched
        .prepare_create(once(t0() + Duration::hours(1)))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    assert_eq!(
        (
            s.status(),
            s.next_run_at(),
            s.run_count(),
            s.revision(),
            s.created_at
        ),
        (
            ScheduleStatus::Active,
            Some(utc(2026, 3, 2, 10, 0)),
            0,
            1,
            t0()
        )
    );
    assert_eq!(env.sched.get(env.user, s.id).await.unwrap(), s);

    env.set(utc(2026, 3, 2, 9, 59));
    assert!(env.claim().await.is_empty(), "not due a minute early");
    env.set(utc(2026, 3, 2, 10, 0));
    let claimed = env.claim().await;
    assert_eq!(view(&claimed), [pending(utc(2026, 3, 2, 10, 0))]);
    let after = env.sched.get(env.user, s.id).await.unwrap();
    assert_eq!(
        (
            after.status(),
            after.next_run_at(),
            after.run_count(),
            after.last_run_at(),
            after.revision()
        ),
        (
            ScheduleStatus::Completed,
            None,
            1,
            Some(utc(2026, 3, 2, 10, 0)),
            2
        )
    );
    assert!(env.claim().await.is_empty());
    assert_eq!(
        view(&env.runs(s.id).await),
        [pending(utc(2026, 3, 2, 10, 0))]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recurring_schedule_advances_and_skips_an_overlapping_run() {
    let env = Env::new(t0() + Duration::minutes(5));
    let draft = env
        .sched
        .prepare_create(recurring("FREQ=DAILY;BYHOUR=9,17", chrono_tz::UTC))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    assert_eq!(s.rule().unwrap().start_date, Some(date(2026, 3, 2)));
    assert_eq!(s.next_run_at(), Some(utc(2026, 3, 2, 17, 0)));

    env.set(utc(2026, 3, 2, 17, 0));
    assert_eq!(view(&env.claim().await), [pending(utc(2026, 3, 2, 17, 0))]);
    let s1 = env.sched.get(env.user, s.id).await.unwrap();
    assert_eq!(
        (
            s1.status(),
            s1.next_run_at(),
            s1.run_count(),
            s1.last_run_at(),
            s1.revision()
        ),
        (
            ScheduleStatus::Active,
            Some(utc(2026, 3, 3, 9, 0)),
            1,
            Some(utc(2026, 3, 2, 17, 0)),
            2
        )
    );

    // Nothing ran the 17:00 execution (no dispatcher here): it is still pending at 09:00, so
    // overlap policy `skip` records the 09:00 occurrence as skipped.
    env.set(utc(2026, 3, 3, 9, 0));
    assert!(env.claim().await.is_empty());
    let s2 = env.sched.get(env.user, s.id).await.unwrap();
    assert_eq!(
        (
            s2.next_run_at(),
            s2.run_count(),
            s2.stats.skipped,
            s2.revision()
        ),
        (Some(utc(2026, 3, 3, 17, 0)), 1, 1, 3)
    );
    assert_eq!(
        view(&env.runs(s.id).await),
        [
            pending(utc(2026, 3, 2, 17, 0)),
            skipped(utc(2026, 3, 3, 9, 0), SkipReason::Overlap),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_missed_while_down_follow_the_missed_policy_outside_the_grace_window() {
    let env = Env::new(utc(2026, 3, 2, 9, 10));
    let draft = env
        .sched
        .prepare_create(recurring("FREQ=HOURLY", chrono_tz::UTC))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    assert_eq!(s.next_run_at(), Some(utc(2026, 3, 2, 10, 0)));

    // 13:00:30: 10, 11 and 12 are late by more than the 60 s grace, 13:00 is on time.
    env.set(utc(2026, 3, 2, 13, 0) + Duration::seconds(30));
    assert_eq!(view(&env.claim().await), [pending(utc(2026, 3, 2, 13, 0))]);
    let after = env.sched.get(env.user, s.id).await.unwrap();
    assert_eq!(
        (
            after.next_run_at(),
            after.run_count(),
            after.stats.skipped,
            after.last_run_at()
        ),
        (
            Some(utc(2026, 3, 2, 14, 0)),
            1,
            3,
            Some(utc(2026, 3, 2, 13, 0))
        )
    );
    assert_eq!(
        view(&env.runs(s.id).await),
        [
            skipped(utc(2026, 3, 2, 10, 0), SkipReason::Missed),
            skipped(utc(2026, 3, 2, 11, 0), SkipReason::Missed),
            skipped(utc(2026, 3, 2, 12, 0), SkipReason::Missed),
            pending(utc(2026, 3, 2, 13, 0)),
        ]
    );
}

/// Pinned so that a change is deliberate: a claim's overlap check reads the store as it was
/// before the claim, so the run a catch-up makes in that claim does not make the on-time run
/// after it overlap, even with overlap policy `skip`. One claim leaves two pending runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_run_does_not_make_the_on_time_run_of_the_same_claim_overlap() {
    let env = Env::new(utc(2026, 3, 2, 9, 10));
    let mut parts = recurring("FREQ=HOURLY", chrono_tz::UTC);
    parts.missed_policy = Some(MissedPolicy::RunLatest);
    let draft = env.sched.prepare_create(parts).await.unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    assert_eq!(s.overlap_policy, crate::model::OverlapPolicy::Skip);

    env.set(utc(2026, 3, 2, 13, 0) + Duration::seconds(30));
    assert_eq!(
        view(&env.claim().await),
        [
            pending(utc(2026, 3, 2, 12, 0)),
            pending(utc(2026, 3, 2, 13, 0))
        ]
    );
    let after = env.sched.get(env.user, s.id).await.unwrap();
    assert_eq!(
        (after.next_run_at(), after.run_count(), after.stats.skipped),
        (Some(utc(2026, 3, 2, 14, 0)), 2, 2)
    );
    assert_eq!(
        view(&env.runs(s.id).await),
        [
            skipped(utc(2026, 3, 2, 10, 0), SkipReason::Missed),
            skipped(utc(2026, 3, 2, 11, 0), SkipReason::Missed),
            pending(utc(2026, 3, 2, 12, 0)),
            pending(utc(2026, 3, 2, 13, 0)),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_then_resume_skips_what_fell_due_while_paused() {
    let env = Env::new(utc(2026, 3, 2, 9, 30));
    let draft = env
        .sched
        .prepare_create(recurring("FREQ=DAILY;BYHOUR=9", chrono_tz::UTC))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    assert_eq!(s.next_run_at(), Some(utc(2026, 3, 3, 9, 0)));

    env.set(utc(2026, 3, 2, 10, 0));
    let p = env
        .sched
        .transition(env.user, s.id, StatusAction::Pause)
        .await
        .unwrap();
    assert_eq!(
        (
            p.status(),
            p.paused_at(),
            p.next_run_at(),
            p.revision(),
            p.updated_at()
        ),
        (
            ScheduleStatus::Paused,
            Some(utc(2026, 3, 2, 10, 0)),
            Some(utc(2026, 3, 3, 9, 0)),
            2,
            utc(2026, 3, 2, 10, 0)
        )
    );
    let e = env
        .sched
        .transition(env.user, s.id, StatusAction::Pause)
        .await
        .unwrap_err();
    assert_eq!(conflict(e), (ScheduleStatus::Paused, StatusAction::Pause));

    // A paused schedule is not claimed.
    env.set(utc(2026, 3, 5, 12, 0));
    assert!(env.claim().await.is_empty());

    let r = env.sched.resume(env.user, s.id, false).await.unwrap();
    assert_eq!(
        (
            r.status(),
            r.paused_at(),
            r.next_run_at(),
            r.run_count(),
            r.stats.skipped,
            r.revision()
        ),
        (
            ScheduleStatus::Active,
            None,
            Some(utc(2026, 3, 6, 9, 0)),
            0,
            3,
            3
        )
    );
    assert_eq!(
        view(&env.runs(s.id).await),
        [
            skipped(utc(2026, 3, 3, 9, 0), SkipReason::Paused),
            skipped(utc(2026, 3, 4, 9, 0), SkipReason::Paused),
            skipped(utc(2026, 3, 5, 9, 0), SkipReason::Paused),
        ]
    );
    let e = env.sched.resume(env.user, s.id, false).await.unwrap_err();
    assert_eq!(conflict(e), (ScheduleStatus::Active, StatusAction::Resume));
    assert_eq!(
        env.sched.get(env.user, s.id).await.unwrap(),
        r,
        "a refusal writes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_with_run_latest_runs_the_last_missed_and_run_immediately_adds_a_manual_run() {
    let env = Env::new(utc(2026, 3, 2, 9, 30));
    let mut parts = recurring("FREQ=DAILY;BYHOUR=9", chrono_tz::UTC);
    parts.missed_policy = Some(MissedPolicy::RunLatest);
    let draft = env.sched.prepare_create(parts).await.unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    env.sched
        .transition(env.user, s.id, StatusAction::Pause)
        .await
        .unwrap();

    let now = utc(2026, 3, 5, 12, 0);
    env.set(now);
    let r = env.sched.resume(env.user, s.id, true).await.unwrap();
    assert_eq!(
        (
            r.status(),
            r.next_run_at(),
            r.run_count(),
            r.last_run_at(),
            r.stats.skipped
        ),
        (
            ScheduleStatus::Active,
            Some(utc(2026, 3, 6, 9, 0)),
            1,
            Some(utc(2026, 3, 5, 9, 0)),
            2
        )
    );
    let runs = env.runs(s.id).await;
    assert_eq!(
        view(&runs),
        [
            skipped(utc(2026, 3, 3, 9, 0), SkipReason::Paused),
            skipped(utc(2026, 3, 4, 9, 0), SkipReason::Paused),
            pending(utc(2026, 3, 5, 9, 0)),
            (now, ExecutionStatus::Pending, true, false, None),
        ]
    );
    assert!(runs.iter().all(|e| e.created_at == now));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_that_ends_inside_the_grace_window_misses_nothing() {
    let env = Env::new(utc(2026, 3, 2, 9, 30));
    let draft = env
        .sched
        .prepare_create(recurring("FREQ=HOURLY", chrono_tz::UTC))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    env.sched
        .transition(env.user, s.id, StatusAction::Pause)
        .await
        .unwrap();
    env.set(utc(2026, 3, 2, 10, 0) + Duration::seconds(45));
    let r = env.sched.resume(env.user, s.id, false).await.unwrap();
    assert_eq!(
        (r.next_run_at(), r.stats.skipped),
        (Some(utc(2026, 3, 2, 10, 0)), 0)
    );
    assert_eq!(view(&env.claim().await), [pending(utc(2026, 3, 2, 10, 0))]);
    let after = env.sched.get(env.user, s.id).await.unwrap();
    assert_eq!(after.next_run_at(), Some(utc(2026, 3, 2, 11, 0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_schedule_refuses_every_change() {
    let env = Env::new(t0());
    let draft = env
        .sched
        .prepare_create(recurring("FREQ=HOURLY", chrono_tz::UTC))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    env.set(t0() + Duration::minutes(10));
    let c = env
        .sched
        .transition(env.user, s.id, StatusAction::Cancel)
        .await
        .unwrap();
    assert_eq!(
        (
            c.status(),
            c.next_run_at(),
            c.paused_at(),
            c.revision(),
            c.updated_at()
        ),
        (
            ScheduleStatus::Cancelled,
            None,
            None,
            2,
            t0() + Duration::minutes(10)
        )
    );

    for action in [StatusAction::Pause, StatusAction::Cancel] {
        let e = env
            .sched
            .transition(env.user, s.id, action)
            .await
            .unwrap_err();
        assert_eq!(conflict(e), (ScheduleStatus::Cancelled, action));
    }
    let e = env.sched.resume(env.user, s.id, false).await.unwrap_err();
    assert_eq!(
        conflict(e),
        (ScheduleStatus::Cancelled, StatusAction::Resume)
    );
    let e = env
        .sched
        .run_now(env.user, s.id, RunOptions::default())
        .await
        .unwrap_err();
    assert_eq!(final_(e), (ScheduleStatus::Cancelled, "run"));
    let patch = PatchParts {
        priority: Some(Priority::High),
        ..PatchParts::default()
    };
    let e = env.sched.update(env.user, s.id, patch).await.unwrap_err();
    assert_eq!(final_(e), (ScheduleStatus::Cancelled, "update"));

    env.set(utc(2026, 3, 2, 12, 0));
    assert!(env.claim().await.is_empty());
    assert_eq!(env.sched.get(env.user, s.id).await.unwrap(), c);
    assert!(env.runs(s.id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_counts_toward_max_runs_only_when_asked() {
    let env = Env::new(t0());
    let mut parts = recurring("FREQ=DAILY;BYHOUR=12", chrono_tz::UTC);
    parts.max_runs = Some(2);
    let draft = env.sched.prepare_create(parts).await.unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();

    env.set(t0() + Duration::minutes(1));
    let manual = env
        .sched
        .run_now(env.user, s.id, RunOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (
            manual.scheduled_for,
            manual.status,
            manual.is_manual,
            manual.counts_toward_max_runs
        ),
        (
            t0() + Duration::minutes(1),
            ExecutionStatus::Pending,
            true,
            false
        )
    );
    assert_eq!(
        env.sched.get(env.user, s.id).await.unwrap(),
        s,
        "the schedule is untouched"
    );

    let counting = RunOptions {
        count_toward_max_runs: true,
    };
    env.set(t0() + Duration::minutes(2));
    env.sched.run_now(env.user, s.id, counting).await.unwrap();
    let one = env.sched.get(env.user, s.id).await.unwrap();
    assert_eq!(
        (
            one.status(),
            one.run_count(),
            one.last_run_at(),
            one.next_run_at(),
            one.revision()
        ),
        (
            ScheduleStatus::Active,
            1,
            Some(t0() + Duration::minutes(2)),
            Some(utc(2026, 3, 2, 12, 0)),
            2
        )
    );
    env.set(t0() + Duration::minutes(3));
    env.sched.run_now(env.user, s.id, counting).await.unwrap();
    let two = env.sched.get(env.user, s.id).await.unwrap();
    assert_eq!(
        (
            two.status(),
            two.run_count(),
            two.next_run_at(),
            two.revision()
        ),
        (ScheduleStatus::Completed, 2, None, 3)
    );
    let e = env
        .sched
        .run_now(env.user, s.id, RunOptions::default())
        .await
        .unwrap_err();
    assert_eq!(final_(e), (ScheduleStatus::Completed, "run"));
    assert_eq!(env.runs(s.id).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_changes_rule_zone_priority_and_max_runs() {
    let env = Env::new(utc(2026, 3, 2, 9, 30));
    let draft = env
        .sched
        .prepare_create(recurring("FREQ=DAILY;BYHOUR=9", chrono_tz::UTC))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    assert_eq!(s.next_run_at(), Some(utc(2026, 3, 3, 9, 0)));

    env.set(utc(2026, 3, 2, 10, 0));
    let patch = PatchParts {
        recurrence_rule: Some(rule("FREQ=DAILY;BYHOUR=18")),
        priority: Some(Priority::High),
        ..PatchParts::default()
    };
    let u = env.sched.update(env.user, s.id, patch).await.unwrap();
    assert_eq!(
        (
            u.next_run_at(),
            u.priority,
            u.revision(),
            u.updated_at(),
            u.status()
        ),
        (
            Some(utc(2026, 3, 2, 18, 0)),
            Priority::High,
            2,
            utc(2026, 3, 2, 10, 0),
            ScheduleStatus::Active
        )
    );
    assert_eq!(u.rule().unwrap().start_date, Some(date(2026, 3, 2)));
    assert_eq!(env.sched.get(env.user, s.id).await.unwrap(), u);

    // 18:00 in Berlin is 17:00 UTC in winter.
    let patch = PatchParts {
        timezone: Some(chrono_tz::Europe::Berlin),
        ..PatchParts::default()
    };
    let z = env.sched.update(env.user, s.id, patch).await.unwrap();
    assert_eq!(
        (z.next_run_at(), z.revision()),
        (Some(utc(2026, 3, 2, 17, 0)), 3)
    );

    env.set(utc(2026, 3, 2, 17, 0));
    let claimed = env.claim().await;
    assert_eq!(view(&claimed), [pending(utc(2026, 3, 2, 17, 0))]);
    assert_eq!(claimed[0].priority, Priority::High);

    // max_runs at what already ran completes it.
    let patch = PatchParts {
        max_runs: Some(Some(1)),
        ..PatchParts::default()
    };
    let m = env.sched.update(env.user, s.id, patch).await.unwrap();
    assert_eq!(
        (m.status(), m.next_run_at(), m.run_count(), m.max_runs),
        (ScheduleStatus::Completed, None, 1, Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_creates_and_updates_name_every_field_and_write_nothing() {
    let env = Env::new(t0());
    let mut parts = once(t0() - Duration::minutes(2));
    parts.job_config = Some(serde_json::json!({"format": "mkv"}));
    parts.max_runs = Some(0);
    let e = env.sched.prepare_create(parts).await.unwrap_err();
    let mut got = fields(e);
    got.sort();
    assert_eq!(
        got,
        [
            "job_config.format",
            "job_config.project_id",
            "max_runs",
            "scheduled_at"
        ]
    );

    let mut parts = once(t0());
    parts.job_type = Some("nope".into());
    assert_eq!(
        fields(env.sched.prepare_create(parts).await.unwrap_err()),
        ["job_type"]
    );

    // 59 s in the past is inside the grace for clock skew: accepted, and due at once.
    let draft = env
        .sched
        .prepare_create(once(t0() - Duration::seconds(59)))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    assert_eq!(s.next_run_at(), Some(t0() - Duration::seconds(59)));

    let patch = PatchParts {
        recurrence_rule: Some(rule("FREQ=HOURLY")),
        ..PatchParts::default()
    };
    let e = env.sched.update(env.user, s.id, patch).await.unwrap_err();
    assert_eq!(fields(e), ["recurrence_rule"]);
    let patch = PatchParts {
        job_config: Some(serde_json::json!({"format": "mp4"})),
        ..PatchParts::default()
    };
    let e = env.sched.update(env.user, s.id, patch).await.unwrap_err();
    assert_eq!(fields(e), ["job_config.project_id"]);
    assert_eq!(env.sched.get(env.user, s.id).await.unwrap(), s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_schedule_is_not_found_by_any_operation() {
    let env = Env::new(t0());
    let draft = env
        .sched
        .prepare_create(recurring("FREQ=HOURLY", chrono_tz::UTC))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    let other = Uuid::now_v7();
    let sched = &env.sched;
    let not_found = |r: Result<(), ServiceError>| {
        assert!(matches!(r, Err(ServiceError::NotFound)), "{r:?}");
    };
    not_found(sched.get(other, s.id).await.map(drop));
    not_found(
        sched
            .transition(other, s.id, StatusAction::Pause)
            .await
            .map(drop),
    );
    not_found(
        sched
            .transition(other, s.id, StatusAction::Cancel)
            .await
            .map(drop),
    );
    not_found(sched.resume(other, s.id, true).await.map(drop));
    not_found(
        sched
            .run_now(other, s.id, RunOptions::default())
            .await
            .map(drop),
    );
    not_found(
        sched
            .update(other, s.id, PatchParts::default())
            .await
            .map(drop),
    );
    not_found(
        sched
            .clone_schedule(other, s.id, PatchParts::default())
            .await
            .map(drop),
    );
    not_found(sched.delete(other, s.id).await);
    not_found(
        sched
            .executions(other, s.id, None, None, 10)
            .await
            .map(drop),
    );
    // An id nobody has is answered the same way.
    not_found(
        sched
            .transition(env.user, Uuid::now_v7(), StatusAction::Pause)
            .await
            .map(drop),
    );

    assert_eq!(sched.get(env.user, s.id).await.unwrap(), s);
    assert!(env.runs(s.id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_schedule_and_its_history() {
    let env = Env::new(utc(2026, 3, 2, 9, 30));
    let draft = env
        .sched
        .prepare_create(recurring("FREQ=HOURLY", chrono_tz::UTC))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    env.set(utc(2026, 3, 2, 10, 0));
    assert_eq!(env.claim().await.len(), 1);
    env.sched
        .run_now(env.user, s.id, RunOptions::default())
        .await
        .unwrap();
    assert_eq!(env.runs(s.id).await.len(), 2);

    env.sched.delete(env.user, s.id).await.unwrap();
    assert!(matches!(
        env.sched.get(env.user, s.id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(env.runs(s.id).await.is_empty());
    assert!(matches!(
        env.sched.delete(env.user, s.id).await,
        Err(ServiceError::NotFound)
    ));
    env.set(utc(2026, 3, 2, 11, 0));
    assert!(env.claim().await.is_empty());
    assert_eq!(env.sched.storage().next_due_at().await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_starts_a_fresh_active_schedule_and_leaves_the_source() {
    let env = Env::new(utc(2026, 3, 2, 9, 30));
    let mut parts = recurring("FREQ=DAILY;BYHOUR=9", chrono_tz::UTC);
    parts.priority = Some(Priority::Low);
    parts.max_runs = Some(5);
    let draft = env.sched.prepare_create(parts).await.unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    env.set(utc(2026, 3, 3, 9, 0));
    env.claim().await;
    env.set(utc(2026, 3, 3, 10, 0));
    let source = env
        .sched
        .transition(env.user, s.id, StatusAction::Pause)
        .await
        .unwrap();
    assert_eq!(
        (source.run_count(), source.status()),
        (1, ScheduleStatus::Paused)
    );

    env.set(utc(2026, 3, 3, 11, 0));
    let c = env
        .sched
        .clone_schedule(env.user, s.id, PatchParts::default())
        .await
        .unwrap();
    assert_ne!(c.id, s.id);
    assert_eq!(
        (
            c.status(),
            c.next_run_at(),
            c.run_count(),
            c.last_run_at(),
            c.paused_at(),
            c.revision(),
            c.created_at,
            c.priority,
            c.max_runs,
            c.stats.clone(),
        ),
        (
            ScheduleStatus::Active,
            Some(utc(2026, 3, 4, 9, 0)),
            0,
            None,
            None,
            1,
            utc(2026, 3, 3, 11, 0),
            Priority::Low,
            Some(5),
            Default::default(),
        )
    );
    assert_eq!(c.kind, s.kind, "the rule, start date included, is copied");
    assert_eq!(env.sched.get(env.user, c.id).await.unwrap(), c);
    assert_eq!(env.sched.get(env.user, s.id).await.unwrap(), source);
    assert!(env.runs(c.id).await.is_empty());

    // A once schedule whose time has passed needs a new one.
    let draft = env
        .sched
        .prepare_create(once(utc(2026, 3, 3, 12, 0)))
        .await
        .unwrap();
    let o = env.sched.create(env.user, draft).await.unwrap();
    env.set(utc(2026, 3, 3, 12, 2));
    let e = env
        .sched
        .clone_schedule(env.user, o.id, PatchParts::default())
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["scheduled_at"]);
    let moved = PatchParts {
        scheduled_at: Some(utc(2026, 3, 4, 8, 0)),
        ..PatchParts::default()
    };
    let c2 = env
        .sched
        .clone_schedule(env.user, o.id, moved)
        .await
        .unwrap();
    assert_eq!(
        (c2.status(), c2.next_run_at()),
        (ScheduleStatus::Active, Some(utc(2026, 3, 4, 8, 0)))
    );
}
