//! The single writer: concurrent writes share durable commits, each caller gets its own
//! answer, a rejected or panicking closure writes nothing while its group commits, and
//! read-modify-write closures never lose an update.

mod store_support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use sgsched::store::prelude::*;

use sgsched::store::{
    ScheduleFilter, Snapshot, Store, StoreError, StoreOptions, WriteSet, write_with,
};
use store_support::*;
use uuid::Uuid;

async fn concurrent_creates_survive_reopen(options: StoreOptions) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sgsched.redb");
    let store = Store::open_with(&path, options).unwrap();
    let user = Uuid::now_v7();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..20 {
                let s = active(user, i);
                put_schedules(&store, std::slice::from_ref(&s)).await;
                acked.push(s);
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    drop(store);

    let store = Store::open(&path).unwrap();
    for s in &acked {
        assert_eq!(store.schedule(user, s.id).await.unwrap().as_ref(), Some(s));
    }
    let listed = store
        .list_schedules(user, ScheduleFilter::default(), None, 10_000)
        .await
        .unwrap();
    assert_eq!(listed.len(), 64 * 20);
    assert_eq!(store.due(t(100), 10_000).await.unwrap().len(), 64 * 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn sixty_four_concurrent_writers_all_acknowledged_writes_survive_reopen() {
    concurrent_creates_survive_reopen(StoreOptions::default()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_commit_per_write_mode_is_equally_correct() {
    concurrent_creates_survive_reopen(StoreOptions {
        group_commit: false,
        ..Default::default()
    })
    .await;
}

/// Occupy the writer so the requests sent meanwhile queue up and form one group.
async fn hold_writer(store: &Store) -> tokio::task::JoinHandle<()> {
    let store = store.clone();
    let (started, is_started) = tokio::sync::oneshot::channel();
    let mut started = Some(started);
    let handle = tokio::spawn(async move {
        store
            .write(Box::new(move |_| {
                if let Some(started) = started.take() {
                    let _ = started.send(());
                }
                std::thread::sleep(Duration::from_millis(300));
                Ok(WriteSet::default())
            }))
            .await
            .unwrap();
    });
    is_started.await.unwrap();
    handle
}

/// Poll `f` once: a write future sends its request to the writer on its first poll, so the
/// requests queue in exactly the order this is called.
async fn enqueue<F: Future>(f: &mut Pin<Box<F>>) {
    std::future::poll_fn(|cx| {
        assert!(
            f.as_mut().poll(cx).is_pending(),
            "the writer is held, nothing can be answered yet"
        );
        Poll::Ready(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_closure_in_a_group_writes_nothing_and_sees_earlier_writes() {
    let (_dir, store) = temp_store();
    let user = Uuid::now_v7();
    let (a, c) = (active(user, 0), active(user, 1));
    let rejected_write = active(user, 2);
    let holder = hold_writer(&store).await;

    let mut first = Box::pin(put_schedules(&store, std::slice::from_ref(&a)));
    let (a_id, r) = (a.id, rejected_write.clone());
    let mut middle = Box::pin(write_with(&store, move |snap: &dyn Snapshot| {
        // In the same group, `a` is already visible though not yet committed.
        let saw_a = snap.schedule(a_id).map_err(|e| e.to_string())?.is_some();
        let _would_write = WriteSet {
            put_schedules: vec![r.clone()],
            ..Default::default()
        };
        Err::<(WriteSet, ()), String>(format!("rejected; saw a: {saw_a}"))
    }));
    let mut last = Box::pin(put_schedules(&store, std::slice::from_ref(&c)));
    enqueue(&mut first).await;
    enqueue(&mut middle).await;
    enqueue(&mut last).await;

    holder.await.unwrap();
    first.await;
    last.await;
    assert_eq!(middle.await.unwrap(), Err("rejected; saw a: true".into()));
    assert!(store.schedule(user, a.id).await.unwrap().is_some());
    assert!(store.schedule(user, c.id).await.unwrap().is_some());
    assert_eq!(store.schedule(user, rejected_write.id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_closure_fails_alone() {
    let (_dir, store) = temp_store();
    let user = Uuid::now_v7();
    let a = active(user, 0);
    let holder = hold_writer(&store).await;
    let mut bad = Box::pin(store.write(Box::new(|_| {
        panic!("bug in a closure (expected by this test)")
    })));
    let mut good = Box::pin(put_schedules(&store, std::slice::from_ref(&a)));
    enqueue(&mut bad).await;
    enqueue(&mut good).await;
    holder.await.unwrap();
    good.await;
    assert!(matches!(bad.await, Err(StoreError::Task(_))));
    assert_eq!(store.schedule(user, a.id).await.unwrap(), Some(a));
    // The writer keeps serving.
    put_schedules(&store, &[active(user, 1)]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_read_modify_writes_lose_nothing() {
    let (_dir, store) = temp_store();
    let user = Uuid::now_v7();
    let s = active(user, 0);
    put_schedules(&store, std::slice::from_ref(&s)).await;
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let (store, id) = (store.clone(), s.id);
        tasks.push(tokio::spawn(async move {
            write_with(store.as_ref(), move |snap: &dyn Snapshot| {
                let mut s = snap
                    .schedule(id)
                    .map_err(|e| e.to_string())?
                    .ok_or("missing")?;
                let at = s.updated_at();
                s.record_run(at);
                s.touch(at);
                Ok::<_, String>((
                    WriteSet {
                        put_schedules: vec![s],
                        ..Default::default()
                    },
                    (),
                ))
            })
            .await
            .unwrap()
            .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let s = store.schedule(user, s.id).await.unwrap().unwrap();
    assert_eq!((s.run_count(), s.revision()), (200, 200));
}
