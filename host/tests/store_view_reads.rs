//! The one-transaction reads behind the schedule page and the calendar: `runs_in_window`
//! counts per bucket with half-open bounds and lists only each bucket's first runs, and the
//! redb implementation answers exactly as the trait's default (built on `executions`) does;
//! `schedule_with_recent` is scoped to its user; a schedule read after an update is the new
//! one (parsed schedules are kept, checked against the stored bytes); a user's data version
//! moves with every committed write to their schedules or executions, and only theirs.

mod store_support;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sgsched::model::*;
use sgsched::store::prelude::*;
use sgsched::store::{ScheduleFilter, StoreError, WindowRuns, WriteSet};
use store_support::*;
use uuid::Uuid;

/// A backend's plain reads with `ViewReads`' defaults: a backend needs only these to have every
/// view read.
struct Defaults(Backend);

#[async_trait::async_trait]
impl ScheduleReads for Defaults {
    async fn schedule(&self, user: UserId, id: ScheduleId) -> Result<Option<Schedule>, StoreError> {
        self.0.schedule(user, id).await
    }
    async fn list_schedules(
        &self,
        user: UserId,
        filter: ScheduleFilter,
        after: Option<ScheduleId>,
        limit: usize,
    ) -> Result<Vec<Schedule>, StoreError> {
        self.0.list_schedules(user, filter, after, limit).await
    }
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Schedule>, StoreError> {
        self.0.due(now, limit).await
    }
    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.0.next_due_at().await
    }
}

#[async_trait::async_trait]
impl ExecutionReads for Defaults {
    async fn execution(
        &self,
        user: UserId,
        id: ExecutionId,
    ) -> Result<Option<Execution>, StoreError> {
        self.0.execution(user, id).await
    }
    async fn executions(
        &self,
        schedule: ScheduleId,
        status: Option<ExecutionStatus>,
        after: Option<(DateTime<Utc>, ExecutionId)>,
        limit: usize,
    ) -> Result<Vec<Execution>, StoreError> {
        self.0.executions(schedule, status, after, limit).await
    }
    async fn executions_with_status(
        &self,
        status: ExecutionStatus,
        limit: usize,
    ) -> Result<Vec<Execution>, StoreError> {
        self.0.executions_with_status(status, limit).await
    }
}

impl ViewReads for Defaults {}

async fn runs_in_window_counts_per_bucket_and_lists_the_first(store: Backend) {
    let user = Uuid::now_v7();
    let (a, b, empty) = (active(user, 0), active(user, 0), active(user, 0));
    // `a`: 1,200 runs a minute apart from t(0) (over 1,000 a bucket, so paging matters to the
    // default); `b`: runs exactly on the bounds.
    let mut runs: Vec<Execution> = (0..1200)
        .map(|m| execution(&a, t(m), ExecutionStatus::Completed))
        .collect();
    for m in [-1, 0, 1000, 1999, 2000, 2001] {
        runs.push(execution(&b, t(m), ExecutionStatus::Failed));
    }
    // Two runs of `b` at one instant (the planned one and a run-now): both count, ordered
    // by id.
    runs.push(execution(&b, t(1500), ExecutionStatus::Pending));
    let mut manual = execution(&b, t(1500), ExecutionStatus::Running);
    manual.is_manual = true;
    runs.push(manual);
    put(
        &*store,
        WriteSet {
            put_schedules: vec![a.clone(), b.clone(), empty.clone()],
            put_executions: runs,
            ..Default::default()
        },
    )
    .await;
    let bounds: Arc<[DateTime<Utc>]> = vec![t(0), t(1000), t(2000)].into();
    let ids = vec![a.id, b.id, empty.id];
    let redb = store
        .runs_in_window(ids.clone(), bounds.clone(), 3)
        .await
        .unwrap();
    let defaults = Defaults(store.clone())
        .runs_in_window(ids, bounds.clone(), 3)
        .await
        .unwrap();
    assert_eq!(redb, defaults);
    assert_eq!(redb[0].counts, [1000, 200]);
    assert_eq!(
        redb[0].listed.iter().map(|r| r.at).collect::<Vec<_>>(),
        [t(0), t(1), t(2), t(1000), t(1001), t(1002)]
    );
    assert!(
        redb[0]
            .listed
            .iter()
            .all(|r| r.status == ExecutionStatus::Completed)
    );
    // t(-1) and t(2000) are outside [t(0), t(2000)); a bound belongs to the bucket it starts.
    assert_eq!(redb[1].counts, [1, 4]);
    assert_eq!(redb[2], WindowRuns::default());
    // Counting only: nothing listed, nothing read from the records.
    let counted = store
        .runs_in_window(vec![a.id, b.id], bounds, 0)
        .await
        .unwrap();
    assert_eq!(counted[0].counts, [1000, 200]);
    assert!(counted.iter().all(|w| w.listed.is_empty()));
    // The first and last run of each; none for a schedule that never ran. The trait's
    // default answers "read them" for every schedule.
    let extents = store.run_extents(vec![a.id, b.id, empty.id]).await.unwrap();
    assert_eq!(
        extents,
        [Some((t(0), t(1199))), Some((t(-1), t(2001))), None]
    );
    let all = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    let defaults = Defaults(store.clone())
        .run_extents(vec![a.id, empty.id])
        .await
        .unwrap();
    assert_eq!(defaults, [Some(all), Some(all)]);
}

async fn schedule_with_recent_is_scoped_and_reads_the_latest_record(store: Backend) {
    let (user, other) = (Uuid::now_v7(), Uuid::now_v7());
    let s = active(user, 0);
    let runs: Vec<Execution> = (0..8)
        .map(|m| execution(&s, t(m), ExecutionStatus::Completed))
        .collect();
    put(
        &*store,
        WriteSet {
            put_schedules: vec![s.clone()],
            put_executions: runs,
            ..Default::default()
        },
    )
    .await;
    let (got, recent) = store
        .schedule_with_recent(user, s.id, 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, s);
    assert_eq!(
        recent.iter().map(|e| e.scheduled_for).collect::<Vec<_>>(),
        [t(7), t(6), t(5), t(4), t(3)]
    );
    assert!(
        store
            .schedule_with_recent(other, s.id, 5)
            .await
            .unwrap()
            .is_none()
    );
    let defaults = Defaults(store.clone());
    assert_eq!(
        defaults.schedule_with_recent(user, s.id, 5).await.unwrap(),
        Some((got, recent))
    );
    // The parsed record was kept by the reads above; an update is seen by every read path.
    let mut renamed = s.clone();
    renamed.name = "renamed".into();
    renamed.touch(s.updated_at());
    put_schedules(&*store, std::slice::from_ref(&renamed)).await;
    assert_eq!(
        store.schedule(user, s.id).await.unwrap(),
        Some(renamed.clone())
    );
    let (again, _) = store
        .schedule_with_recent(user, s.id, 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, renamed);
    let listed = store
        .list_schedules(user, ScheduleFilter::default(), None, 500)
        .await
        .unwrap();
    assert_eq!(listed, [renamed]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_data_version_moves_with_each_write_of_theirs_only() {
    let (_dir, store) = temp_store();
    let (user, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let s = active(user, 0);
    put(
        &store,
        WriteSet {
            put_schedules: vec![active(other, 1)],
            ..Default::default()
        },
    )
    .await;
    let mut last = (store.data_version(user), store.data_version(other));
    let steps = [
        (
            WriteSet {
                put_schedules: vec![s.clone()],
                ..Default::default()
            },
            true,
        ),
        (
            WriteSet {
                put_executions: vec![execution(&s, t(1), ExecutionStatus::Pending)],
                ..Default::default()
            },
            true,
        ),
        (
            WriteSet {
                delete_schedules: vec![s.id],
                ..Default::default()
            },
            true,
        ),
        (WriteSet::default(), false),
    ];
    for (writes, user_moves) in steps {
        put(&store, writes).await;
        let now = (store.data_version(user), store.data_version(other));
        assert_eq!(now.0 > last.0, user_moves, "{now:?} after {last:?}");
        assert_eq!(now.1, last.1, "another user's version moved");
        last = now;
    }
}

both_backends!(
    runs_in_window_counts_per_bucket_and_lists_the_first,
    schedule_with_recent_is_scoped_and_reads_the_latest_record,
);
