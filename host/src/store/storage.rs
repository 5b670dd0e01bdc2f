//! The storage interface, one small trait per concern: `Writes` (the one write path),
//! `ScheduleReads`, `ExecutionReads`, `ViewReads` (one-read views with defaults built on the
//! plain reads), `SeriesReads`, `Tokens`, `Feeds` (calendar feeds) and `JobRecords` (the
//! embedded job system's jobs).
//! `Storage` is all of them, the object the service, executor and job system share. redb
//! (`Store`) is the embedded implementation; nothing above `store/` names it, so a PostgreSQL
//! backend implements these traits and nothing else changes.
//!
//! Reads are point lookups and index scans. Writes are read-modify-write closures run by the
//! single writer inside its transaction: a closure sees every earlier write of the same group,
//! returns the writes to make (or rejects, writing nothing), and its caller is answered only
//! after the group's durable commit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::model::{
    Execution, ExecutionId, ExecutionStatus, Feed, FeedId, LocalJobRecord, Priority, RunStats,
    Schedule, ScheduleId, ScheduleStatus, Series, SeriesId, SkipReason, UserId,
};

/// Reads inside the writer's transaction.
pub trait Snapshot {
    fn schedule(&self, id: ScheduleId) -> Result<Option<Schedule>, StoreError>;
    fn execution(&self, id: ExecutionId) -> Result<Option<Execution>, StoreError>;
    /// Only the status of an execution (`None`: it does not exist): what the executor checks
    /// before it starts or records a run, without decoding the whole record and its config.
    fn execution_status(&self, id: ExecutionId) -> Result<Option<ExecutionStatus>, StoreError>;
    /// A schedule's executions in `scheduled_for` order (then id), optionally one status only.
    fn executions_of(
        &self,
        schedule: ScheduleId,
        status: Option<ExecutionStatus>,
        limit: usize,
    ) -> Result<Vec<Execution>, StoreError>;
    fn series(&self, id: SeriesId) -> Result<Option<Series>, StoreError>;
    /// The embedded job system's job for an idempotency key.
    fn local_job_by_key(&self, key: &str) -> Result<Option<LocalJobRecord>, StoreError>;

    /// Those of `ids` that are active and due at `now`, for this transaction alone: a backend
    /// shared by several nodes leaves out a schedule another transaction holds (another node
    /// is claiming or changing it) instead of waiting for it.
    fn lock_due(
        &self,
        ids: &[ScheduleId],
        now: DateTime<Utc>,
    ) -> Result<Vec<Schedule>, StoreError> {
        let mut due = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(s) = self.schedule(id)?
                && s.status() == ScheduleStatus::Active
                && s.next_run_at().is_some_and(|at| at <= now)
            {
                due.push(s);
            }
        }
        Ok(due)
    }

    /// Those of `ids` that exist (in no particular order). One read for many: a backend across
    /// a network pays a round trip per read, and the executor reads a batch at a time.
    fn executions_by_id(&self, ids: &[ExecutionId]) -> Result<Vec<Execution>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for &id in ids {
            found.extend(self.execution(id)?);
        }
        Ok(found)
    }

    /// Those of `ids` that exist (in no particular order), as `executions_by_id`.
    fn schedules_by_id(&self, ids: &[ScheduleId]) -> Result<Vec<Schedule>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for &id in ids {
            found.extend(self.schedule(id)?);
        }
        Ok(found)
    }

    /// Who runs each of those of `ids` that exist, and which attempt: the fence an outcome
    /// is recorded behind (only the attempt's owner records it).
    fn run_fences(&self, ids: &[ExecutionId]) -> Result<HashMap<ExecutionId, Fence>, StoreError> {
        Ok(self
            .executions_by_id(ids)?
            .into_iter()
            .map(|e| {
                let fence = Fence {
                    owner_node: e.owner_node,
                    attempt: e.attempt,
                };
                (e.id, fence)
            })
            .collect())
    }

    /// The run counters of those of `schedules` that exist: all an outcome changes in its
    /// schedule (see `WriteSet::put_schedule_stats`).
    fn schedule_stats(
        &self,
        schedules: &[ScheduleId],
    ) -> Result<HashMap<ScheduleId, RunStats>, StoreError> {
        Ok(self
            .schedules_by_id(schedules)?
            .into_iter()
            .map(|s| (s.id, s.stats))
            .collect())
    }

    /// The statuses of those of `ids` that exist.
    fn execution_statuses(
        &self,
        ids: &[ExecutionId],
    ) -> Result<HashMap<ExecutionId, ExecutionStatus>, StoreError> {
        let mut found = HashMap::with_capacity(ids.len());
        for &id in ids {
            if let Some(status) = self.execution_status(id)? {
                found.insert(id, status);
            }
        }
        Ok(found)
    }

    /// What of each of `schedules` is under way: whether it has a running execution, and
    /// whether a pending one of its own timing (not a manual run). Schedules with neither are
    /// left out.
    fn runs_under_way(
        &self,
        schedules: &[ScheduleId],
    ) -> Result<HashMap<ScheduleId, UnderWay>, StoreError> {
        let mut found = HashMap::new();
        for &id in schedules {
            let running = !self
                .executions_of(id, Some(ExecutionStatus::Running), 1)?
                .is_empty();
            let pending = self
                .executions_of(id, Some(ExecutionStatus::Pending), 1024)?
                .iter()
                .any(|e| !e.is_manual);
            if running || pending {
                found.insert(id, UnderWay { running, pending });
            }
        }
        Ok(found)
    }

    /// Up to `limit` active schedules due at `now`, in claim order, each locked for this
    /// transaction, leaving out any another transaction holds: how a shared backend finds and
    /// takes due work in one read, so nodes claiming at once get different schedules. `None`
    /// where the backend has no such read: the claimer finds the due ones before its
    /// transaction and takes them with `lock_due`.
    fn take_due(
        &self,
        _now: DateTime<Utc>,
        _limit: usize,
    ) -> Result<Option<Vec<Schedule>>, StoreError> {
        Ok(None)
    }

    /// Executions running on every node sharing the storage, in all and of each of `users`,
    /// taken under a lock every node's running mark takes (so two nodes never both admit the
    /// last free slot); `None` where this process's own counts are the whole truth.
    fn running_counts(&self, _users: &[UserId]) -> Result<Option<RunningCounts>, StoreError> {
        Ok(None)
    }

    /// The database's clock at the start of this transaction, when the backend has one that
    /// several nodes share (claims are timed by it, not by each node's own clock).
    fn now(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(None)
    }
}

/// A schedule's runs under way (see `Snapshot::runs_under_way`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnderWay {
    pub running: bool,
    /// A pending execution of its own timing (a manual run does not count).
    pub pending: bool,
}

/// An execution's current attempt and the node running it (see `Snapshot::run_fences`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Fence {
    #[serde(default)]
    pub owner_node: Option<String>,
    #[serde(default)]
    pub attempt: u32,
}

/// Running executions of all nodes (see `Snapshot::running_counts`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunningCounts {
    pub all: u64,
    pub by_user: HashMap<UserId, u64>,
}

/// What one write closure changes. Applying it cannot fail for a logical reason, only for I/O.
#[derive(Debug, Default, Clone)]
pub struct WriteSet {
    pub put_schedules: Vec<Schedule>,
    /// Deletes the schedule and its whole execution history.
    pub delete_schedules: Vec<ScheduleId>,
    pub put_executions: Vec<Execution>,
    /// Executions that differ from their stored records only in what a run moves (status,
    /// attempt, owner_node, started_at, completed_at, job_id, error_message, result_summary),
    /// each of which exists: a backend may write those fields alone. A run's start and its
    /// outcome are most of the writes, and its config need not be written again for them.
    pub put_execution_progress: Vec<Execution>,
    /// New run counters of existing schedules, the rest of each record left as it stands
    /// (applied after `put_schedules`, so a schedule put in the same set keeps its counters).
    pub put_schedule_stats: Vec<(ScheduleId, RunStats)>,
    pub put_series: Vec<Series>,
    pub delete_series: Vec<SeriesId>,
    /// Jobs of the embedded job system; one whose idempotency key exists is not written.
    pub put_local_jobs: Vec<LocalJobRecord>,
}

impl WriteSet {
    pub fn is_empty(&self) -> bool {
        self.put_schedules.is_empty()
            && self.delete_schedules.is_empty()
            && self.put_executions.is_empty()
            && self.put_execution_progress.is_empty()
            && self.put_schedule_stats.is_empty()
            && self.put_series.is_empty()
            && self.put_local_jobs.is_empty()
            && self.delete_series.is_empty()
    }
}

/// A write closure rejected its operation: nothing of it is written.
#[derive(Debug)]
pub struct Rejected;

/// A write closure. It may run more than once (a backend retries it from the start after a
/// serialization failure or a deadlock, its earlier run rolled back), so it reads what it
/// changes from the snapshot and keeps no effect outside what it returns.
pub type WriteFn = Box<dyn FnMut(&dyn Snapshot) -> Result<WriteSet, Rejected> + Send + 'static>;

/// Filters of `list_schedules` (each `None` = any).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ScheduleFilter {
    pub status: Option<ScheduleStatus>,
    pub job_type: Option<String>,
    pub priority: Option<Priority>,
}

/// A listed run: time and id come from the `(schedule, scheduled_for)` index, the status
/// from the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMark {
    pub at: DateTime<Utc>,
    pub id: ExecutionId,
    pub status: ExecutionStatus,
    /// Why a skipped run did not run.
    pub skip_reason: Option<SkipReason>,
}

/// One schedule's runs inside a window cut into buckets (a calendar's days).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowRuns {
    /// Runs per bucket, counted from the index alone; empty when there are none at all.
    pub counts: Vec<u32>,
    /// The first runs of each bucket, as many as asked for, in time order.
    pub listed: Vec<RunMark>,
}

/// The earliest and latest `scheduled_for` of a schedule's executions; `None`: it has none.
pub type RunExtent = Option<(DateTime<Utc>, DateTime<Utc>)>;

/// The one way to change stored data: a write closure run in the writer (group commit).
#[async_trait::async_trait]
pub trait Writes: Send + Sync + 'static {
    /// Run `f` in the writer. Resolves after the durable commit of its group.
    async fn write(&self, f: WriteFn) -> Result<(), StoreError>;

    /// Write `writes` as they are, reading nothing (loads, copies, tests).
    async fn put(&self, writes: WriteSet) -> Result<(), StoreError> {
        self.write(Box::new(move |_| Ok(writes.clone()))).await
    }

    /// A number that moves after every committed write to `user`'s schedules or executions
    /// (see `versions`). A view computed from reads made after reading it may be reused while
    /// it is unchanged.
    fn data_version(&self, user: UserId) -> u64;
}

/// Schedules: by owner, listed, and the claimer's due index.
#[async_trait::async_trait]
pub trait ScheduleReads: Send + Sync + 'static {
    /// A user's schedule; `None` when missing or another user's.
    async fn schedule(&self, user: UserId, id: ScheduleId) -> Result<Option<Schedule>, StoreError>;
    /// A user's schedules in creation order (id order; ids are UUIDv7) after `after`.
    async fn list_schedules(
        &self,
        user: UserId,
        filter: ScheduleFilter,
        after: Option<ScheduleId>,
        limit: usize,
    ) -> Result<Vec<Schedule>, StoreError>;
    /// The same, shared: a store that keeps decoded schedules hands out its own copies, and a
    /// caller that only reads them (the calendar) saves a clone of each.
    async fn list_schedules_shared(
        &self,
        user: UserId,
        filter: ScheduleFilter,
        after: Option<ScheduleId>,
        limit: usize,
    ) -> Result<Vec<Arc<Schedule>>, StoreError> {
        let list = self.list_schedules(user, filter, after, limit).await?;
        Ok(list.into_iter().map(Arc::new).collect())
    }
    /// Active schedules with `next_run_at <= now`, ordered by (next_run_at, priority, id).
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Schedule>, StoreError>;
    /// The earliest `next_run_at` of an active schedule.
    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// Executions: by owner, a schedule's history, and the executor's status index.
#[async_trait::async_trait]
pub trait ExecutionReads: Send + Sync + 'static {
    /// A user's execution; `None` when missing or another user's.
    async fn execution(
        &self,
        user: UserId,
        id: ExecutionId,
    ) -> Result<Option<Execution>, StoreError>;
    /// Executions of one schedule, newest `scheduled_for` first, after the cursor
    /// `(scheduled_for, id)` of the previous page.
    async fn executions(
        &self,
        schedule: ScheduleId,
        status: Option<ExecutionStatus>,
        after: Option<(DateTime<Utc>, ExecutionId)>,
        limit: usize,
    ) -> Result<Vec<Execution>, StoreError>;
    /// Executions with `status`, oldest `scheduled_for` first (the executor's queue and recovery).
    async fn executions_with_status(
        &self,
        status: ExecutionStatus,
        limit: usize,
    ) -> Result<Vec<Execution>, StoreError>;
}

/// Reads shaped for one view (the schedule page, the calendar). Each has a default made of the
/// plain reads, so a backend may start with those and answer in one query later.
#[async_trait::async_trait]
pub trait ViewReads: ScheduleReads + ExecutionReads {
    /// A user's schedule with its `recent` newest executions, read together (the schedule
    /// page in one read); `None` when missing or another user's.
    async fn schedule_with_recent(
        &self,
        user: UserId,
        id: ScheduleId,
        recent: usize,
    ) -> Result<Option<(Schedule, Vec<Execution>)>, StoreError> {
        let Some(s) = self.schedule(user, id).await? else {
            return Ok(None);
        };
        let runs = self.executions(id, None, None, recent).await?;
        Ok(Some((s, runs)))
    }
    /// For each of `schedules`, the earliest and latest `scheduled_for` of its executions, or
    /// `None` when it has none: a calendar then reads the runs only of schedules whose history
    /// meets its window (a month ahead meets none). A store without a cheap answer may give
    /// `(MIN, MAX)`, which means "read them".
    async fn run_extents(&self, schedules: Vec<ScheduleId>) -> Result<Vec<RunExtent>, StoreError> {
        let all = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        Ok(vec![Some(all); schedules.len()])
    }
    /// For each of `schedules`, its executions with `scheduled_for` in the window
    /// `[bounds[0], bounds[last])`, counted per bucket `[bounds[i], bounds[i + 1])`, and the
    /// first `listed_per_bucket` of each bucket with their status (a calendar counts runs and
    /// lists only a day's first ones, so counting never needs a record).
    async fn runs_in_window(
        &self,
        schedules: Vec<ScheduleId>,
        bounds: Arc<[DateTime<Utc>]>,
        listed_per_bucket: usize,
    ) -> Result<Vec<WindowRuns>, StoreError> {
        let mut out = Vec::with_capacity(schedules.len());
        let (Some(&lo), Some(&hi)) = (bounds.first(), bounds.last()) else {
            return Ok(vec![WindowRuns::default(); schedules.len()]);
        };
        for id in schedules {
            // Newest first from `hi` (nil is the smallest id: the cursor excludes all of `hi`).
            let mut runs = Vec::new();
            let mut cursor = Some((hi, uuid::Uuid::nil()));
            'pages: loop {
                let page = self.executions(id, None, cursor, 1000).await?;
                let full = page.len() == 1000;
                cursor = page.last().map(|e| (e.scheduled_for, e.id));
                for e in page {
                    if e.scheduled_for < lo {
                        break 'pages;
                    }
                    runs.push(e);
                }
                if !full {
                    break;
                }
            }
            let mut window = WindowRuns::default();
            if !runs.is_empty() {
                window.counts = vec![0; bounds.len() - 1];
            }
            for e in runs.iter().rev() {
                let bucket = bounds.partition_point(|b| *b <= e.scheduled_for) - 1;
                window.counts[bucket] += 1;
                if window.counts[bucket] as usize <= listed_per_bucket {
                    window.listed.push(RunMark {
                        at: e.scheduled_for,
                        id: e.id,
                        status: e.status,
                        skip_reason: e.skip_reason,
                    });
                }
            }
            out.push(window);
        }
        Ok(out)
    }
}

/// Series.
#[async_trait::async_trait]
pub trait SeriesReads: Send + Sync + 'static {
    /// A user's series; `None` when missing or another user's.
    async fn series(&self, user: UserId, id: SeriesId) -> Result<Option<Series>, StoreError>;
}

/// API tokens, kept only as their SHA-256.
#[async_trait::async_trait]
pub trait Tokens: Send + Sync + 'static {
    /// Store a token's SHA-256 for `user`.
    async fn put_token(&self, token_sha256: [u8; 32], user: UserId) -> Result<(), StoreError>;
    async fn token_user(&self, token_sha256: [u8; 32]) -> Result<Option<UserId>, StoreError>;
}

/// Calendar feeds, found by their secret's SHA-256 (hex) and listed per user.
#[async_trait::async_trait]
pub trait Feeds: Send + Sync + 'static {
    async fn put_feed(&self, feed: Feed) -> Result<(), StoreError>;
    async fn feed_by_secret(&self, secret_sha256: String) -> Result<Option<Feed>, StoreError>;
    /// The user's feeds in id (creation) order.
    async fn feeds_of(&self, user: UserId) -> Result<Vec<Feed>, StoreError>;
    /// Whether the feed existed and was the user's (it is gone now).
    async fn delete_feed(&self, user: UserId, id: FeedId) -> Result<bool, StoreError>;
}

/// The embedded job system's jobs (written through `WriteSet::put_local_jobs`).
#[async_trait::async_trait]
pub trait JobRecords: Send + Sync + 'static {
    async fn local_job(&self, job_id: String) -> Result<Option<LocalJobRecord>, StoreError>;
    /// Jobs in id order (ids are UUIDv7, so creation order), at most `limit`, after `after`;
    /// only `user`'s when given.
    async fn local_jobs(
        &self,
        user: Option<String>,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<LocalJobRecord>, StoreError>;
}

/// A node sharing the storage, as its lease row shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeLease {
    pub node_id: String,
    pub started_at: DateTime<Utc>,
    pub renewed_at: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    /// Executions it is running now.
    pub running: u64,
}

impl NodeLease {
    /// Whether the node counts as live at `now` (the database's clock): its lease has not
    /// lapsed, so nobody may take its running executions.
    pub fn alive_at(&self, now: DateTime<Utc>) -> bool {
        self.lease_until >= now
    }
}

/// The nodes sharing one storage. A backend only one process opens (redb) keeps the
/// defaults: not shared, no leases. On a shared one each node renews a lease on the
/// database's clock, and the running executions of a node whose lease lapsed are put back to
/// pending (same id, so the same idempotency key) for any node to run.
#[async_trait::async_trait]
pub trait Nodes: Send + Sync + 'static {
    /// Whether other processes may use this storage at the same time.
    fn shared(&self) -> bool {
        false
    }
    /// Moves when another node's commit handed out pending work or made a schedule due (a
    /// shared backend's notifications); `None` where no other process writes.
    fn wakeups(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
    /// Register `node` (or renew its lease) until `lease` from now.
    async fn renew_lease(
        &self,
        _node: &str,
        _lease: std::time::Duration,
    ) -> Result<(), StoreError> {
        Ok(())
    }
    /// One node at a time: forget nodes whose lease lapsed and put every running execution
    /// without a live owner back to pending. Returns how many.
    async fn rescue_lapsed(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
    /// The registered nodes in id order, and the database's clock.
    async fn nodes(&self) -> Result<(Vec<NodeLease>, Option<DateTime<Utc>>), StoreError> {
        Ok((Vec::new(), None))
    }
    /// A clean stop: this node's lease ends now.
    async fn leave(&self, _node: &str) -> Result<(), StoreError> {
        Ok(())
    }
    /// Up to `limit` pending executions `node` may take, oldest first: those nobody claimed,
    /// its own, and those of nodes whose lease lapsed. A live node's claimed runs are left to
    /// it, so nodes do not all read and race for the same work.
    async fn pending_for(&self, _node: &str, _limit: usize) -> Result<Vec<Execution>, StoreError> {
        Ok(Vec::new())
    }
}

/// Everything a backend provides, as one object the service, executor and job system share.
/// Code that needs one concern may take that trait alone.
pub trait Storage:
    Writes
    + ScheduleReads
    + ExecutionReads
    + ViewReads
    + SeriesReads
    + Tokens
    + Feeds
    + JobRecords
    + Nodes
{
}

impl<T> Storage for T where
    T: Writes
        + ScheduleReads
        + ExecutionReads
        + ViewReads
        + SeriesReads
        + Tokens
        + Feeds
        + JobRecords
        + Nodes
{
}

/// The typed form of [`Storage::write`]: `f` returns its writes and a value, or an error that
/// writes nothing. `Ok(Err(e))` is the closure's rejection; `Err` is a storage failure.
pub async fn write_with<S, R, E, F>(store: &S, f: F) -> Result<Result<R, E>, StoreError>
where
    S: Writes + ?Sized,
    R: Send + 'static,
    E: Send + 'static,
    F: FnMut(&dyn Snapshot) -> Result<(WriteSet, R), E> + Send + 'static,
{
    let mut f = f;
    let slot: Arc<Mutex<Option<Result<R, E>>>> = Arc::new(Mutex::new(None));
    let out = slot.clone();
    store
        .write(Box::new(move |snap| {
            let (writes, result) = match f(snap) {
                Ok((w, r)) => (Ok(w), Ok(r)),
                Err(e) => (Err(Rejected), Err(e)),
            };
            *out.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
            writes
        }))
        .await?;
    let result = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    result.ok_or_else(|| StoreError::Task("write closure did not run".into()))
}
