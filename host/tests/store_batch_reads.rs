//! The executor's batch reads inside a write (many records in one read, as a backend across a
//! network needs) answer exactly what the single reads do, on both backends.

mod store_support;

use std::collections::{HashMap, HashSet};

use sgsched::model::*;
use sgsched::store::{Fence, Snapshot, UnderWay, WriteSet, write_with};
use store_support::*;
use uuid::Uuid;

fn manual(s: &Schedule, minute: i64) -> Execution {
    let mut e = execution(s, t(minute), ExecutionStatus::Pending);
    e.is_manual = true;
    e
}

async fn batch_reads_answer_what_the_single_reads_do(store: Backend) {
    let user = Uuid::now_v7();
    // a: running; b: only a manual run pending; c: pending of its own timing, not due;
    // d: paused though its time has come; e: due, nothing under way.
    let (a, b, c) = (active(user, 1), active(user, 2), active(user, 20));
    let d = schedule(user, ScheduleStatus::Paused, Priority::Normal, Some(t(0)));
    let e = active(user, 3);
    let runs = vec![
        execution(&a, t(1), ExecutionStatus::Running),
        execution(&a, t(0), ExecutionStatus::Completed),
        manual(&b, 2),
        execution(&c, t(20), ExecutionStatus::Pending),
        execution(&d, t(0), ExecutionStatus::Failed),
    ];
    put(
        &*store,
        WriteSet {
            put_schedules: vec![a.clone(), b.clone(), c.clone(), d.clone(), e.clone()],
            put_executions: runs.clone(),
            ..Default::default()
        },
    )
    .await;
    let missing_run = Uuid::now_v7();
    let missing_schedule = Uuid::now_v7();
    let run_ids: Vec<ExecutionId> = runs.iter().map(|r| r.id).chain([missing_run]).collect();
    let schedule_ids = vec![a.id, b.id, c.id, d.id, e.id, missing_schedule];
    let (found_runs, found_schedules, statuses, under_way, taken) =
        write_with(&*store, move |snap: &dyn Snapshot| {
            let found_runs: HashSet<ExecutionId> = snap
                .executions_by_id(&run_ids)
                .map_err(|_| ())?
                .iter()
                .map(|r| r.id)
                .collect();
            let found_schedules: HashSet<ScheduleId> = snap
                .schedules_by_id(&schedule_ids)
                .map_err(|_| ())?
                .iter()
                .map(|s| s.id)
                .collect();
            let statuses = snap.execution_statuses(&run_ids).map_err(|_| ())?;
            let under_way = snap.runs_under_way(&schedule_ids).map_err(|_| ())?;
            let taken = snap.take_due(t(10), 2).map_err(|_| ())?;
            Ok::<_, ()>((
                WriteSet::default(),
                (found_runs, found_schedules, statuses, under_way, taken),
            ))
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found_runs, runs.iter().map(|r| r.id).collect());
    assert_eq!(found_schedules, [a.id, b.id, c.id, d.id, e.id].into());
    let expected: HashMap<ExecutionId, ExecutionStatus> =
        runs.iter().map(|r| (r.id, r.status)).collect();
    assert_eq!(statuses, expected);
    assert_eq!(
        under_way,
        HashMap::from([
            (
                a.id,
                UnderWay {
                    running: true,
                    pending: false
                }
            ),
            (
                c.id,
                UnderWay {
                    running: false,
                    pending: true
                }
            ),
        ]),
        "a manual run pending is not the schedule's own run under way"
    );
    // A shared backend takes due work in one locked read, in claim order; the embedded one
    // has no such read (its claimer finds due work first).
    if store.shared() {
        let taken = taken.expect("a shared backend takes due work");
        assert_eq!(ids(&taken, |s| s.id), [a.id, b.id]);
    } else {
        assert!(taken.is_none());
    }
}

/// A run's progress and a schedule's counters are written as narrow changes; the fence and
/// counter reads see them, the rest of each record stands, and a schedule put in the same set
/// keeps the counters.
async fn progress_and_counters_change_only_what_they_name(store: Backend) {
    let user = Uuid::now_v7();
    let (a, b) = (active(user, 1), active(user, 2));
    let run = execution(&a, t(1), ExecutionStatus::Pending);
    put(
        &*store,
        WriteSet {
            put_schedules: vec![a.clone(), b.clone()],
            put_executions: vec![run.clone()],
            ..Default::default()
        },
    )
    .await;
    let mut started = run.clone();
    started.status = ExecutionStatus::Running;
    started.attempt = 1;
    started.owner_node = Some("node-1".into());
    started.started_at = Some(t(1));
    let mut done = started.clone();
    done.status = ExecutionStatus::Failed;
    done.completed_at = Some(t(2));
    done.error_message = Some("render farm said no".into());
    let mut counted = a.stats.clone();
    counted.record(
        ExecutionStatus::Failed,
        Some(60_000),
        Some("render farm said no"),
    );
    let mut renamed = a.clone();
    renamed.name = "renamed in the same write".into();
    let missing = Uuid::now_v7();
    // The start and the outcome in one set: the last of an id wins, as with whole records.
    let writes = WriteSet {
        put_schedules: vec![renamed.clone()],
        put_execution_progress: vec![started, done.clone()],
        put_schedule_stats: vec![(a.id, counted.clone()), (missing, counted.clone())],
        ..Default::default()
    };
    let ids = (vec![run.id], vec![a.id, b.id, missing]);
    let (fences, stats) = write_with(&*store, move |snap: &dyn Snapshot| {
        let fences = snap.run_fences(&ids.0).map_err(|_| ())?;
        let stats = snap.schedule_stats(&ids.1).map_err(|_| ())?;
        Ok::<_, ()>((writes.clone(), (fences, stats)))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(fences, HashMap::from([(run.id, Fence::default())]));
    assert_eq!(
        stats,
        HashMap::from([(a.id, a.stats.clone()), (b.id, b.stats.clone())])
    );
    let stored = store.execution(user, run.id).await.unwrap().unwrap();
    assert_eq!(stored, done);
    let mut expected = renamed;
    expected.stats = counted;
    assert_eq!(store.schedule(user, a.id).await.unwrap().unwrap(), expected);
    assert_eq!(store.schedule(user, b.id).await.unwrap().unwrap(), b);
    assert!(store.schedule(user, missing).await.unwrap().is_none());
    let after = write_with(&*store, move |snap: &dyn Snapshot| {
        Ok::<_, ()>((
            WriteSet::default(),
            snap.run_fences(&[run.id]).map_err(|_| ())?,
        ))
    })
    .await
    .unwrap()
    .unwrap();
    let fence = Fence {
        owner_node: Some("node-1".into()),
        attempt: 1,
    };
    assert_eq!(after, HashMap::from([(run.id, fence)]));
}

both_backends!(
    batch_reads_answer_what_the_single_reads_do,
    progress_and_counters_change_only_what_they_name
);
