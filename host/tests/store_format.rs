//! The database format: data survives reopening, a database from a newer sgsched is refused
//! with a clear message, and one from before schedules existed is upgraded in place.

mod store_support;

use redb::{ReadableDatabase, TableDefinition};
use sgsched::jobsystem::JobState;
use sgsched::model::*;
use sgsched::store::prelude::*;
use sgsched::store::{DB_FORMAT, ScheduleFilter, Store, StoreError, WriteSet};
use store_support::*;
use uuid::Uuid;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const LOCAL_JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("local_jobs");

fn local_job(id: &str) -> LocalJobRecord {
    LocalJobRecord {
        job_id: id.into(),
        user_id: "u".into(),
        job_type: "export".into(),
        payload: serde_json::json!({"a": 1}),
        idempotency_key: format!("key-{id}"),
        state: JobState::Succeeded,
        result: None,
        error: None,
        created_at: t(0),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn everything_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sgsched.redb");
    let user = Uuid::now_v7();
    let s = active(user, 0);
    let e = execution(&s, t(0), ExecutionStatus::Pending);
    let se = series(user, SeriesStatus::Active);
    {
        let store = Store::open(&path).unwrap();
        put(
            &store,
            WriteSet {
                put_schedules: vec![s.clone()],
                put_executions: vec![e.clone()],
                put_series: vec![se.clone()],
                put_local_jobs: vec![local_job("j1")],
                ..Default::default()
            },
        )
        .await;
        store.put_token([1; 32], user).await.unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schedule(user, s.id).await.unwrap(), Some(s.clone()));
    assert_eq!(store.execution(user, e.id).await.unwrap(), Some(e));
    assert_eq!(store.series(user, se.id).await.unwrap(), Some(se));
    assert_eq!(store.token_user([1; 32]).await.unwrap(), Some(user));
    assert_eq!(store.due(t(0), 10).await.unwrap(), std::slice::from_ref(&s));
    assert_eq!(
        store
            .list_schedules(user, ScheduleFilter::default(), None, 10)
            .await
            .unwrap(),
        [s]
    );
    assert_eq!(
        store.local_job("j1".into()).await.unwrap(),
        Some(local_job("j1"))
    );
    assert_eq!(store.local_jobs(None, None, 10).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_from_a_newer_sgsched_is_refused_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sgsched.redb");
    drop(Store::open(&path).unwrap());
    {
        let db = redb::Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(META)
            .unwrap()
            .insert("format_version", 99)
            .unwrap();
        tx.commit().unwrap();
    }
    let err = Store::open(&path).err().expect("a newer format is refused");
    assert!(
        matches!(
            err,
            StoreError::DatabaseTooNew {
                found: 99,
                supported: DB_FORMAT
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "written by a newer sgsched (format 99), this build reads up to {DB_FORMAT}"
        )),
        "{message}"
    );
    // Refusing changed nothing.
    let db = redb::Database::create(&path).unwrap();
    let tx = db.begin_read().unwrap();
    assert_eq!(
        tx.open_table(META)
            .unwrap()
            .get("format_version")
            .unwrap()
            .unwrap()
            .value(),
        99
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_from_before_schedules_is_upgraded_and_keeps_its_local_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sgsched.redb");
    {
        // What the first releases wrote: the local job system's table, no `meta`.
        let db = redb::Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        let mut record = vec![1u8];
        record.extend(serde_json::to_vec(&local_job("old")).unwrap());
        tx.open_table(LOCAL_JOBS)
            .unwrap()
            .insert("old", record.as_slice())
            .unwrap();
        tx.commit().unwrap();
    }
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.local_job("old".into()).await.unwrap(),
            Some(local_job("old"))
        );
        let user = Uuid::now_v7();
        let s = active(user, 0);
        put_schedules(&store, std::slice::from_ref(&s)).await;
        assert_eq!(store.schedule(user, s.id).await.unwrap(), Some(s));
    }
    let db = redb::Database::create(&path).unwrap();
    let tx = db.begin_read().unwrap();
    assert_eq!(
        tx.open_table(META)
            .unwrap()
            .get("format_version")
            .unwrap()
            .unwrap()
            .value(),
        DB_FORMAT
    );
}
