//! Local times across daylight-saving changes, through the service: a wall time in the spring
//! gap runs shifted forward by the gap, one in the autumn overlap at its earlier instant, and
//! the next day's run is back at the plain wall time.

use chrono::Duration;

use super::support::*;
use crate::model::{ExecutionStatus, StatusAction};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_0230_new_york_across_the_march_gap_runs_at_0330_edt() {
    // Saturday 7 March 2026, 07:00 EST; clocks go 02:00 EST -> 03:00 EDT on Sunday the 8th.
    let env = Env::new(utc(2026, 3, 7, 12, 0));
    let draft = env
        .sched
        .prepare_create(recurring(
            "FREQ=DAILY;BYHOUR=2;BYMINUTE=30",
            chrono_tz::America::New_York,
        ))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    // 02:30 does not exist on the 8th: 03:30 EDT = 07:30Z.
    assert_eq!(s.next_run_at(), Some(utc(2026, 3, 8, 7, 30)));

    env.set(utc(2026, 3, 8, 7, 29));
    assert!(env.claim().await.is_empty());
    env.set(utc(2026, 3, 8, 7, 30));
    let claimed = env.claim().await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (claimed[0].scheduled_for, claimed[0].status),
        (utc(2026, 3, 8, 7, 30), ExecutionStatus::Pending)
    );
    // Monday the 9th: 02:30 EDT = 06:30Z.
    let after = env.sched.get(env.user, s.id).await.unwrap();
    assert_eq!(
        (after.next_run_at(), after.run_count(), after.last_run_at()),
        (
            Some(utc(2026, 3, 9, 6, 30)),
            1,
            Some(utc(2026, 3, 8, 7, 30))
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_0130_new_york_in_the_november_overlap_runs_once_at_the_earlier_instant() {
    // Clocks go 02:00 EDT -> 01:00 EST on Sunday 1 November 2026: 01:30 happens twice.
    let env = Env::new(utc(2026, 10, 31, 12, 0));
    let draft = env
        .sched
        .prepare_create(recurring(
            "FREQ=DAILY;BYHOUR=1;BYMINUTE=30",
            chrono_tz::America::New_York,
        ))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    // The earlier 01:30 is EDT: 05:30Z (the later would be 06:30Z).
    assert_eq!(s.next_run_at(), Some(utc(2026, 11, 1, 5, 30)));
    env.set(utc(2026, 11, 1, 5, 30));
    assert_eq!(env.claim().await.len(), 1);
    let after = env.sched.get(env.user, s.id).await.unwrap();
    // Monday the 2nd, 01:30 EST = 06:30Z; not a second run at 06:30Z on the 1st.
    assert_eq!(after.next_run_at(), Some(utc(2026, 11, 2, 6, 30)));
    env.set(utc(2026, 11, 1, 6, 30));
    assert!(env.claim().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_across_the_gap_skips_each_missed_local_day_once() {
    let env = Env::new(utc(2026, 3, 6, 12, 0));
    let draft = env
        .sched
        .prepare_create(recurring(
            "FREQ=DAILY;BYHOUR=2;BYMINUTE=30",
            chrono_tz::America::New_York,
        ))
        .await
        .unwrap();
    let s = env.sched.create(env.user, draft).await.unwrap();
    assert_eq!(s.next_run_at(), Some(utc(2026, 3, 7, 7, 30)));
    env.sched
        .transition(env.user, s.id, StatusAction::Pause)
        .await
        .unwrap();
    env.set(utc(2026, 3, 9, 12, 0));
    let r = env.sched.resume(env.user, s.id, false).await.unwrap();
    // The 7th at 02:30 EST, the 8th at 03:30 EDT (the gap), the 9th at 02:30 EDT.
    let at: Vec<_> = env
        .runs(s.id)
        .await
        .iter()
        .map(|e| e.scheduled_for)
        .collect();
    assert_eq!(
        at,
        [
            utc(2026, 3, 7, 7, 30),
            utc(2026, 3, 8, 7, 30),
            utc(2026, 3, 9, 6, 30)
        ]
    );
    assert_eq!(
        (r.next_run_at(), r.stats.skipped),
        (Some(utc(2026, 3, 10, 6, 30)), 3)
    );
    assert_eq!(
        r.next_run_at().unwrap() - utc(2026, 3, 9, 6, 30),
        Duration::days(1)
    );
}
