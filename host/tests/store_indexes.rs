//! Every index of the redb store stays right through puts, updates and deletes; reads are
//! scoped to their user; lists page with `after`.

mod store_support;

use sgsched::model::*;
use sgsched::store::{ScheduleFilter, Snapshot, WriteSet, write_with};
use store_support::*;
use uuid::Uuid;

async fn due_is_active_schedules_up_to_now_in_next_run_priority_id_order(store: Backend) {
    let user = Uuid::now_v7();
    let mut all = Vec::new();
    // Same instant, every priority (inserted low first), twice each: ordered by rank then id.
    for p in [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
        Priority::Low,
        Priority::Urgent,
    ] {
        all.push(schedule(user, ScheduleStatus::Active, p, Some(t(5))));
    }
    all.push(active(user, 1));
    all.push(active(user, 10)); // exactly now: due
    all.push(active(user, 11)); // future
    all.push(schedule(
        user,
        ScheduleStatus::Paused,
        Priority::Urgent,
        Some(t(0)),
    ));
    all.push(schedule(
        user,
        ScheduleStatus::Completed,
        Priority::Urgent,
        None,
    ));
    all.push(schedule(
        user,
        ScheduleStatus::Cancelled,
        Priority::Urgent,
        Some(t(0)),
    ));
    all.push(schedule(
        Uuid::now_v7(),
        ScheduleStatus::Active,
        Priority::Normal,
        Some(t(2)),
    ));
    put_schedules(&*store, &all).await;

    let mut expected: Vec<&Schedule> = all
        .iter()
        .filter(|s| {
            s.status() == ScheduleStatus::Active && s.next_run_at().is_some_and(|n| n <= t(10))
        })
        .collect();
    expected.sort_by_key(|s| (s.next_run_at(), s.priority.rank(), s.id));
    let due = store.due(t(10), 100).await.unwrap();
    assert_eq!(
        ids(&due, |s| s.id),
        expected.iter().map(|s| s.id).collect::<Vec<_>>()
    );
    assert_eq!(due.len(), 9);
    assert_eq!(
        ids(&store.due(t(10), 3).await.unwrap(), |s| s.id),
        ids(&due[..3], |s| s.id)
    );
    assert_eq!(store.next_due_at().await.unwrap(), Some(t(1)));
    assert!(
        store.due(t(0), 10).await.unwrap().is_empty(),
        "paused and cancelled are never due"
    );
}

async fn status_and_time_changes_move_a_schedule_between_index_entries(store: Backend) {
    let user = Uuid::now_v7();
    let mut s = active(user, 0);
    let later = active(user, 30);
    put_schedules(&*store, &[s.clone(), later.clone()]).await;
    assert_eq!(store.next_due_at().await.unwrap(), Some(t(0)));

    s.pause(t(5)).unwrap();
    put_schedules(&*store, std::slice::from_ref(&s)).await;
    assert!(store.due(t(10), 10).await.unwrap().is_empty());
    assert_eq!(store.next_due_at().await.unwrap(), Some(t(30)));
    let only = |status| ScheduleFilter {
        status: Some(status),
        ..Default::default()
    };
    let paused = store
        .list_schedules(user, only(ScheduleStatus::Paused), None, 10)
        .await
        .unwrap();
    assert_eq!(ids(&paused, |s| s.id), [s.id]);
    let act = store
        .list_schedules(user, only(ScheduleStatus::Active), None, 10)
        .await
        .unwrap();
    assert_eq!(ids(&act, |s| s.id), [later.id]);

    // Resumed with a new time, then a priority change: the due order follows each update.
    s.resume(t(6)).unwrap();
    s.settle(Some(t(30)));
    s.priority = Priority::Low;
    put_schedules(&*store, std::slice::from_ref(&s)).await;
    assert_eq!(
        ids(&store.due(t(30), 10).await.unwrap(), |s| s.id),
        [later.id, s.id]
    );
    s.priority = Priority::Urgent;
    put_schedules(&*store, std::slice::from_ref(&s)).await;
    assert_eq!(
        ids(&store.due(t(30), 10).await.unwrap(), |s| s.id),
        [s.id, later.id]
    );
    s.settle(Some(t(40)));
    put_schedules(&*store, std::slice::from_ref(&s)).await;
    assert_eq!(
        ids(&store.due(t(35), 10).await.unwrap(), |s| s.id),
        [later.id]
    );

    // Completed: no next run, out of every active view.
    s.settle(None);
    put_schedules(&*store, std::slice::from_ref(&s)).await;
    assert_eq!(
        ids(&store.due(t(100), 10).await.unwrap(), |s| s.id),
        [later.id]
    );
    let done = store
        .list_schedules(user, only(ScheduleStatus::Completed), None, 10)
        .await
        .unwrap();
    assert_eq!(done, [s.clone()]);
    assert_eq!(
        store
            .list_schedules(user, ScheduleFilter::default(), None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn delete_removes_the_schedule_with_its_history_and_every_index_entry(store: Backend) {
    let user = Uuid::now_v7();
    let (gone, kept) = (active(user, 0), active(user, 0));
    let gone_runs: Vec<Execution> = (0..5)
        .map(|i| execution(&gone, t(i), ExecutionStatus::Pending))
        .collect();
    let kept_run = execution(&kept, t(0), ExecutionStatus::Pending);
    let mut w = WriteSet {
        put_schedules: vec![gone.clone(), kept.clone()],
        ..Default::default()
    };
    w.put_executions = gone_runs.clone();
    w.put_executions.push(kept_run.clone());
    put(&*store, w).await;
    assert_eq!(
        store
            .executions_with_status(ExecutionStatus::Pending, 100)
            .await
            .unwrap()
            .len(),
        6
    );

    put(
        &*store,
        WriteSet {
            delete_schedules: vec![gone.id],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(store.schedule(user, gone.id).await.unwrap(), None);
    for e in &gone_runs {
        assert_eq!(store.execution(user, e.id).await.unwrap(), None);
    }
    assert!(
        store
            .executions(gone.id, None, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .executions_with_status(ExecutionStatus::Pending, 100)
            .await
            .unwrap(),
        std::slice::from_ref(&kept_run)
    );
    assert_eq!(
        ids(&store.due(t(0), 10).await.unwrap(), |s| s.id),
        [kept.id]
    );
    assert_eq!(
        store
            .list_schedules(user, ScheduleFilter::default(), None, 10)
            .await
            .unwrap(),
        std::slice::from_ref(&kept)
    );
    assert_eq!(
        store.executions(kept.id, None, None, 10).await.unwrap(),
        [kept_run]
    );
}

async fn another_users_objects_do_not_exist(store: Backend) {
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let s = active(alice, 0);
    let e = execution(&s, t(0), ExecutionStatus::Completed);
    let se = series(alice, SeriesStatus::Active);
    put(
        &*store,
        WriteSet {
            put_schedules: vec![s.clone(), active(bob, 0)],
            put_executions: vec![e.clone()],
            put_series: vec![se.clone()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(store.schedule(alice, s.id).await.unwrap(), Some(s.clone()));
    assert_eq!(store.schedule(bob, s.id).await.unwrap(), None);
    assert_eq!(store.execution(alice, e.id).await.unwrap(), Some(e.clone()));
    assert_eq!(store.execution(bob, e.id).await.unwrap(), None);
    assert_eq!(store.series(alice, se.id).await.unwrap(), Some(se.clone()));
    assert_eq!(store.series(bob, se.id).await.unwrap(), None);
    assert_eq!(
        store
            .list_schedules(alice, ScheduleFilter::default(), None, 10)
            .await
            .unwrap(),
        [s]
    );
    assert_eq!(
        store
            .list_schedules(bob, ScheduleFilter::default(), None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .list_schedules(Uuid::now_v7(), ScheduleFilter::default(), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn lists_page_in_id_order_with_after_and_filters(store: Backend) {
    let user = Uuid::now_v7();
    let statuses = [
        ScheduleStatus::Active,
        ScheduleStatus::Paused,
        ScheduleStatus::Completed,
        ScheduleStatus::Cancelled,
    ];
    let mut all = Vec::new();
    for i in 0..25 {
        let mut s = schedule(
            user,
            statuses[i % 4],
            Priority::ALL[i % 3],
            Some(t(i as i64)),
        );
        if i % 5 == 0 {
            s.job_type = "caption_generation".into();
        }
        all.push(s);
    }
    put_schedules(&*store, &all).await;
    all.sort_by_key(|s| s.id);

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_schedules(user, ScheduleFilter::default(), after, 10)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 10);
        after = page.last().map(|s| s.id);
        seen.extend(page);
    }
    assert_eq!(seen, all);

    let filter = ScheduleFilter {
        status: Some(ScheduleStatus::Paused),
        job_type: None,
        priority: Some(Priority::High),
    };
    let want: Vec<Uuid> = all
        .iter()
        .filter(|s| s.status() == ScheduleStatus::Paused && s.priority == Priority::High)
        .map(|s| s.id)
        .collect();
    assert_eq!(
        ids(
            &store.list_schedules(user, filter, None, 100).await.unwrap(),
            |s| s.id
        ),
        want
    );

    let filter = ScheduleFilter {
        job_type: Some("caption_generation".into()),
        ..Default::default()
    };
    let want: Vec<Uuid> = all
        .iter()
        .filter(|s| s.job_type == "caption_generation")
        .map(|s| s.id)
        .collect();
    let first = store
        .list_schedules(user, filter.clone(), None, 2)
        .await
        .unwrap();
    assert_eq!(ids(&first, |s| s.id), want[..2]);
    let rest = store
        .list_schedules(user, filter, first.last().map(|s| s.id), 100)
        .await
        .unwrap();
    assert_eq!(ids(&rest, |s| s.id), want[2..]);
}

async fn executions_page_newest_first_and_follow_status_changes(store: Backend) {
    let user = Uuid::now_v7();
    let s = active(user, 0);
    let mut runs: Vec<Execution> = (0..7)
        .map(|i| execution(&s, t(i * 10), ExecutionStatus::Pending))
        .collect();
    // Two runs at one instant (a run-now beside the planned one): ordered by id.
    let mut manual = execution(&s, t(30), ExecutionStatus::Failed);
    manual.is_manual = true;
    runs.push(manual);
    put(
        &*store,
        WriteSet {
            put_schedules: vec![s.clone()],
            put_executions: runs.clone(),
            ..Default::default()
        },
    )
    .await;

    let mut newest_first = runs.clone();
    newest_first.sort_by_key(|e| std::cmp::Reverse((e.scheduled_for, e.id)));
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.executions(s.id, None, cursor, 3).await.unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page.last().map(|e| (e.scheduled_for, e.id));
        seen.extend(page);
    }
    assert_eq!(seen, newest_first);
    assert_eq!(
        store
            .executions(s.id, Some(ExecutionStatus::Failed), None, 10)
            .await
            .unwrap(),
        [runs[7].clone()]
    );

    let pending = store
        .executions_with_status(ExecutionStatus::Pending, 100)
        .await
        .unwrap();
    assert_eq!(
        ids(&pending, |e| e.id),
        ids(&runs[..7], |e| e.id),
        "oldest first"
    );

    let mut first = runs[0].clone();
    first.status = ExecutionStatus::Running;
    put(
        &*store,
        WriteSet {
            put_executions: vec![first.clone()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        store
            .executions_with_status(ExecutionStatus::Running, 10)
            .await
            .unwrap(),
        [first.clone()]
    );
    assert_eq!(
        store
            .executions_with_status(ExecutionStatus::Pending, 100)
            .await
            .unwrap()
            .len(),
        6
    );

    // The writer's snapshot sees the same history, oldest first.
    let sid = s.id;
    let seen = write_with(&*store, move |snap: &dyn Snapshot| {
        let all = snap.executions_of(sid, None, 100).map_err(|_| ())?;
        let running = snap
            .executions_of(sid, Some(ExecutionStatus::Running), 100)
            .map_err(|_| ())?;
        Ok::<_, ()>((
            WriteSet::default(),
            (all.len(), running.len(), all[0].scheduled_for),
        ))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(seen, (8, 1, t(0)));
}

async fn series_and_tokens(store: Backend) {
    let user = Uuid::now_v7();
    let mut se = series(user, SeriesStatus::Active);
    put(
        &*store,
        WriteSet {
            put_series: vec![se.clone()],
            ..Default::default()
        },
    )
    .await;
    se.status = SeriesStatus::Paused;
    se.current_episode = 2;
    put(
        &*store,
        WriteSet {
            put_series: vec![se.clone()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(store.series(user, se.id).await.unwrap(), Some(se.clone()));
    put(
        &*store,
        WriteSet {
            delete_series: vec![se.id],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(store.series(user, se.id).await.unwrap(), None);

    let sha = [7u8; 32];
    assert_eq!(store.token_user(sha).await.unwrap(), None);
    store.put_token(sha, user).await.unwrap();
    assert_eq!(store.token_user(sha).await.unwrap(), Some(user));
    assert_eq!(store.token_user([8u8; 32]).await.unwrap(), None);
}

/// The writer remembers the index fields of records its transaction has read or written, so
/// replacing them does not decode them again: a record read and then replaced, or replaced
/// twice in one transaction, must still move each index entry exactly once.
async fn records_read_then_replaced_in_one_transaction_keep_every_index_right(store: Backend) {
    let user = Uuid::now_v7();
    let s = active(user, 0);
    let e = execution(&s, t(0), ExecutionStatus::Pending);
    put(
        &*store,
        WriteSet {
            put_schedules: vec![s.clone()],
            put_executions: vec![e.clone()],
            ..Default::default()
        },
    )
    .await;
    let (sid, eid) = (s.id, e.id);
    write_with(&*store, move |snap: &dyn Snapshot| {
        let mut s = snap.schedule(sid).map_err(|_| ())?.ok_or(())?;
        assert_eq!(
            snap.execution_status(eid).map_err(|_| ())?,
            Some(ExecutionStatus::Pending)
        );
        s.pause(t(1)).unwrap();
        let mut running = e.clone();
        running.status = ExecutionStatus::Running;
        let mut completed = running.clone();
        completed.status = ExecutionStatus::Completed;
        Ok::<_, ()>((
            WriteSet {
                put_schedules: vec![s],
                put_executions: vec![running, completed],
                ..Default::default()
            },
            (),
        ))
    })
    .await
    .unwrap()
    .unwrap();
    let with = |status| {
        let store = store.clone();
        async move {
            let runs = store.executions_with_status(status, 10).await.unwrap();
            ids(&runs, |e| e.id)
        }
    };
    let none: [Uuid; 0] = [];
    assert_eq!(with(ExecutionStatus::Pending).await, none);
    assert_eq!(with(ExecutionStatus::Running).await, none);
    assert_eq!(with(ExecutionStatus::Completed).await, [eid]);
    assert!(store.due(t(1000), 10).await.unwrap().is_empty());
    assert_eq!(store.next_due_at().await.unwrap(), None);
    let paused = ScheduleFilter {
        status: Some(ScheduleStatus::Paused),
        ..Default::default()
    };
    let listed = store.list_schedules(user, paused, None, 10).await.unwrap();
    assert_eq!(ids(&listed, |s| s.id), [sid]);

    // Read, then deleted with its history in the same transaction.
    write_with(&*store, move |snap: &dyn Snapshot| {
        snap.schedule(sid).map_err(|_| ())?;
        snap.execution_status(eid).map_err(|_| ())?;
        Ok::<_, ()>((
            WriteSet {
                delete_schedules: vec![sid],
                ..Default::default()
            },
            (),
        ))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(with(ExecutionStatus::Completed).await, none);
    let all = ScheduleFilter::default();
    assert!(
        store
            .list_schedules(user, all, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

both_backends!(
    due_is_active_schedules_up_to_now_in_next_run_priority_id_order,
    status_and_time_changes_move_a_schedule_between_index_entries,
    delete_removes_the_schedule_with_its_history_and_every_index_entry,
    another_users_objects_do_not_exist,
    lists_page_in_id_order_with_after_and_filters,
    executions_page_newest_first_and_follow_status_changes,
    series_and_tokens,
    records_read_then_replaced_in_one_transaction_keep_every_index_right,
);
