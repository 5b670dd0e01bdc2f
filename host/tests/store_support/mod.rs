//! Builders shared by the `store_*` tests: plain records with the fields the indexes read.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use sgsched::model::*;
use sgsched::store::postgres::{PgOptions, PgStore};
use sgsched::store::prelude::*;
use sgsched::store::{Store, WriteSet};
use std::sync::Arc;
use uuid::Uuid;

/// A storage backend under test, as the server holds it.
#[derive(Clone)]
pub struct Backend(pub Arc<dyn Storage>);

impl std::ops::Deref for Backend {
    type Target = dyn Storage;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// What keeps a backend's data alive for the test (a temporary directory).
pub struct Guard(#[allow(dead_code)] Option<tempfile::TempDir>);

pub fn redb() -> (Guard, Backend) {
    let (dir, store) = temp_store();
    (Guard(Some(dir)), Backend(Arc::new(store)))
}

/// A PostgreSQL store on a fresh database of this binary's server; `None` (the test passes
/// without it) where PostgreSQL is not installed and not required.
pub async fn postgres() -> Option<(Guard, Backend)> {
    let cluster = sgsched_pgtest::cluster()?;
    let url = cluster.database();
    let store = PgStore::open(&url, PgOptions::default())
        .await
        .unwrap_or_else(|e| panic!("open {url}: {e}"));
    Some((Guard(None), Backend(Arc::new(store))))
}

/// One test per backend for each `async fn name(store: Backend)` listed: the storage suite
/// that both implementations pass.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod redb {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let (_guard, store) = $crate::store_support::redb();
                    super::$name(store).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let Some((_guard, store)) = $crate::store_support::postgres().await else {
                        return;
                    };
                    super::$name(store).await
                }
            )*
        }
    };
}

pub fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::minutes(minutes)
}

pub fn schedule(
    user: UserId,
    status: ScheduleStatus,
    priority: Priority,
    next_run_at: Option<DateTime<Utc>>,
) -> Schedule {
    fixtures::schedule(user, next_run_at.unwrap_or(t(0)))
        .status(status)
        .priority(priority)
        .next_run(next_run_at)
        .created(t(0))
        .revision(0)
        .build()
}

pub fn active(user: UserId, next: i64) -> Schedule {
    schedule(
        user,
        ScheduleStatus::Active,
        Priority::Normal,
        Some(t(next)),
    )
}

pub fn execution(s: &Schedule, scheduled_for: DateTime<Utc>, status: ExecutionStatus) -> Execution {
    let mut e = fixtures::execution(s, scheduled_for, status);
    e.created_at = t(0);
    e
}

pub fn series(user: UserId, status: SeriesStatus) -> Series {
    Series {
        id: Uuid::now_v7(),
        user_id: user,
        name: "series".into(),
        template_id: None,
        episode_count: 3,
        schedule_rule: serde_json::from_value(
            serde_json::json!({"frequency": "daily", "time_of_day": "10:00"}),
        )
        .expect("a daily rule"),
        timezone: chrono_tz::UTC,
        job_type: "export".into(),
        job_config: serde_json::json!({}),
        current_episode: 0,
        status,
        schedule_ids: vec![],
        created_at: t(0),
        updated_at: t(0),
    }
}

/// Write `w` unconditionally.
pub async fn put(store: &dyn Storage, w: WriteSet) {
    store.put(w).await.expect("write");
}

pub async fn put_schedules(store: &dyn Storage, v: &[Schedule]) {
    put(
        store,
        WriteSet {
            put_schedules: v.to_vec(),
            ..Default::default()
        },
    )
    .await;
}

pub fn ids<T, F: Fn(&T) -> Uuid>(v: &[T], f: F) -> Vec<Uuid> {
    v.iter().map(f).collect()
}

pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("sgsched.redb")).expect("open");
    (dir, store)
}
