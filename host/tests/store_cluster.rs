//! The shared backend's cluster parts, against a real PostgreSQL: leases on the database's
//! clock, the rescue of a lapsed node's running executions (and only those), and
//! notifications reaching another node's store.

mod store_support;

use std::time::Duration;

use sgsched::model::*;
use sgsched::store::WriteSet;
use sgsched::store::postgres::{PgOptions, PgStore};
use sgsched::store::prelude::*;
use store_support::*;
use uuid::Uuid;

async fn two_nodes() -> Option<(PgStore, PgStore)> {
    let cluster = sgsched_pgtest::cluster()?;
    let url = cluster.database();
    let a = PgStore::open(&url, PgOptions::default()).await.unwrap();
    let b = PgStore::open(&url, PgOptions::default()).await.unwrap();
    Some((a, b))
}

fn running(s: &Schedule, minute: i64, owner: &str) -> Execution {
    let mut e = execution(s, t(minute), ExecutionStatus::Running);
    e.owner_node = Some(owner.to_string());
    e.attempt = 1;
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lapsed_nodes_running_executions_and_only_those_go_back_to_pending() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    assert!(a.shared());
    a.renew_lease("short", Duration::from_millis(300))
        .await
        .unwrap();
    b.renew_lease("long", Duration::from_secs(60))
        .await
        .unwrap();
    let s = active(Uuid::now_v7(), 0);
    let (short, long) = (running(&s, 1, "short"), running(&s, 2, "long"));
    let done = {
        let mut e = execution(&s, t(3), ExecutionStatus::Completed);
        e.owner_node = Some("short".into());
        e
    };
    a.put(WriteSet {
        put_schedules: vec![s.clone()],
        put_executions: vec![short.clone(), long.clone(), done.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        a.rescue_lapsed().await.unwrap(),
        0,
        "no lease has lapsed yet"
    );
    let (nodes, now) = b.nodes().await.unwrap();
    let names: Vec<&str> = nodes.iter().map(|n| n.node_id.as_str()).collect();
    assert_eq!(names, ["long", "short"]);
    assert_eq!(nodes.iter().map(|n| n.running).collect::<Vec<_>>(), [1, 1]);
    assert!(nodes.iter().all(|n| n.lease_until > now.unwrap()));

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(b.rescue_lapsed().await.unwrap(), 1);
    let user = s.user_id;
    let got = |id| {
        let b = b.clone();
        async move { b.execution(user, id).await.unwrap().unwrap() }
    };
    let rescued = got(short.id).await;
    assert_eq!(
        (
            rescued.status,
            rescued.owner_node.as_deref(),
            rescued.attempt
        ),
        (ExecutionStatus::Pending, None, 1),
        "same id and attempt, no owner"
    );
    assert_eq!(got(long.id).await, long, "a live node's run is left alone");
    assert_eq!(got(done.id).await, done, "a finished run is left alone");
    let (nodes, _) = a.nodes().await.unwrap();
    assert_eq!(
        nodes.iter().map(|n| n.node_id.as_str()).collect::<Vec<_>>(),
        ["long"]
    );
    assert_eq!(
        a.rescue_lapsed().await.unwrap(),
        0,
        "a second rescue finds nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn another_nodes_commit_of_pending_work_wakes_this_one() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let mut heard = b
        .wakeups()
        .expect("a shared store tells of other nodes' work");
    // The first wake-up says the listener is connected (and asks for one look).
    tokio::time::timeout(Duration::from_secs(10), heard.changed())
        .await
        .expect("the listener connects")
        .unwrap();
    heard.borrow_and_update();

    let s = active(Uuid::now_v7(), 0);
    let mut finished = execution(&s, t(0), ExecutionStatus::Completed);
    finished.owner_node = Some("a".into());
    let mut paused = s.clone();
    paused.pause(t(0)).unwrap();
    a.put(WriteSet {
        put_schedules: vec![paused],
        put_executions: vec![finished],
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(500), heard.changed())
            .await
            .is_err(),
        "a paused schedule and a finished run are nobody's work"
    );

    a.put(WriteSet {
        put_executions: vec![execution(&s, t(1), ExecutionStatus::Pending)],
        ..Default::default()
    })
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(5), heard.changed())
        .await
        .expect("pending work is told")
        .unwrap();
}

fn pending(s: &Schedule, minute: i64, owner: Option<&str>) -> Execution {
    let mut e = execution(s, t(minute), ExecutionStatus::Pending);
    e.owner_node = owner.map(str::to_string);
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_is_offered_pending_work_nobody_live_holds_and_its_own() {
    let Some((a, _b)) = two_nodes().await else {
        return;
    };
    a.renew_lease("me", Duration::from_secs(60)).await.unwrap();
    a.renew_lease("busy", Duration::from_secs(60))
        .await
        .unwrap();
    let s = active(Uuid::now_v7(), 0);
    let (free, mine, busy, gone) = (
        pending(&s, 1, None),
        pending(&s, 2, Some("me")),
        pending(&s, 3, Some("busy")),
        pending(&s, 4, Some("gone")),
    );
    a.put(WriteSet {
        put_schedules: vec![s.clone()],
        put_executions: vec![gone.clone(), busy.clone(), mine.clone(), free.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    let offered = a.pending_for("me", 10).await.unwrap();
    assert_eq!(
        ids(&offered, |e| e.id),
        [free.id, mine.id, gone.id],
        "oldest first; a live node's claimed run is left to it"
    );
    assert_eq!(
        ids(&a.pending_for("me", 2).await.unwrap(), |e| e.id),
        [free.id, mine.id]
    );
    // Once "busy" leaves, its claimed run is anyone's.
    a.leave("busy").await.unwrap();
    assert_eq!(
        ids(&a.pending_for("me", 10).await.unwrap(), |e| e.id),
        [free.id, mine.id, busy.id, gone.id]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_transactions_taking_due_work_at_once_get_different_schedules() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let user = Uuid::now_v7();
    let due: Vec<Schedule> = (0..4).map(|i| active(user, i)).collect();
    put_schedules(&a, &due).await;
    // A holds its take open until B has taken too.
    let (held_tx, held_rx) = std::sync::mpsc::channel::<()>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let done_rx = std::sync::Mutex::new(done_rx);
    let first = tokio::spawn(async move {
        sgsched::store::write_with(&a, move |snap| {
            let taken = snap.take_due(t(10), 2).map_err(|_| ())?.unwrap();
            let _ = held_tx.send(());
            let _ = done_rx.lock().unwrap().recv();
            Ok::<_, ()>((WriteSet::default(), ids(&taken, |s| s.id)))
        })
        .await
        .unwrap()
        .unwrap()
    });
    tokio::task::spawn_blocking(move || held_rx.recv().unwrap())
        .await
        .unwrap();
    let second = sgsched::store::write_with(&b, move |snap| {
        let taken = snap.take_due(t(10), 10).map_err(|_| ())?.unwrap();
        Ok::<_, ()>((WriteSet::default(), ids(&taken, |s| s.id)))
    })
    .await
    .unwrap()
    .unwrap();
    done_tx.send(()).unwrap();
    let first = first.await.unwrap();
    assert_eq!(first, [due[0].id, due[1].id]);
    assert_eq!(
        second,
        [due[2].id, due[3].id],
        "held schedules are skipped, not waited for"
    );
}
