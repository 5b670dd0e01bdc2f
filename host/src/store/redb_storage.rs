//! `Store`'s implementations of the storage traits: writes go to the writer thread, point reads to the reader
//! threads, reads of many records to the blocking pool. Reads check ownership here, so another
//! user's object is simply `None`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableDatabase};
use uuid::Uuid;

use super::decoded::DecodedSchedules;
use super::keys;
use super::storage::{
    ExecutionReads, Nodes, RunExtent, ScheduleFilter, ScheduleReads, SeriesReads, Tokens,
    ViewReads, WindowRuns, WriteFn, Writes,
};
use super::tables::{self, *};
use super::view_reads;
use super::writer::Op;
use super::{Store, StoreError};
use crate::model::{
    Execution, ExecutionId, ExecutionStatus, Schedule, ScheduleId, ScheduleStatus, Series,
    SeriesId, UserId,
};

impl Store {
    /// Run `f` in a read transaction on a reader thread.
    async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.readers.submit(Box::new(move |tx| {
            let result = match tx {
                Ok(tx) => f(tx),
                Err(e) => Err(e.clone()),
            };
            let _ = reply.send(result);
        }))?;
        answer
            .await
            .map_err(|_| StoreError::Task("a read failed on its reader thread".into()))?
    }

    /// Run `f` in a read transaction of its own on the blocking pool: for reads of many
    /// records (milliseconds), which on a reader thread would hold up the point reads queued
    /// behind them.
    async fn read_bulk<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<R, StoreError> + Send + 'static,
    {
        self.blocking(move |db| f(&db.begin_read()?)).await
    }
}

/// Listings longer than this are bulk reads (see `Store::read_bulk`).
const BULK_LIMIT: usize = 100;

#[async_trait::async_trait]
impl Writes for Store {
    async fn write(&self, f: WriteFn) -> Result<(), StoreError> {
        self.writer.submit(Op::Closure(f)).await
    }

    fn data_version(&self, user: UserId) -> u64 {
        self.versions.get(user)
    }
}

#[async_trait::async_trait]
impl ScheduleReads for Store {
    async fn schedule(&self, user: UserId, id: ScheduleId) -> Result<Option<Schedule>, StoreError> {
        let decoded = self.decoded.clone();
        self.read(move |tx| {
            let s = decoded.get(&tx.open_table(SCHEDULES)?, id)?;
            Ok(s.filter(|s| s.user_id == user).map(Arc::unwrap_or_clone))
        })
        .await
    }

    async fn list_schedules(
        &self,
        user: UserId,
        filter: ScheduleFilter,
        after: Option<ScheduleId>,
        limit: usize,
    ) -> Result<Vec<Schedule>, StoreError> {
        let list = self
            .list_schedules_shared(user, filter, after, limit)
            .await?;
        Ok(list.into_iter().map(Arc::unwrap_or_clone).collect())
    }

    async fn list_schedules_shared(
        &self,
        user: UserId,
        filter: ScheduleFilter,
        after: Option<ScheduleId>,
        limit: usize,
    ) -> Result<Vec<Arc<Schedule>>, StoreError> {
        let decoded = self.decoded.clone();
        let list =
            move |tx: &ReadTransaction| list_schedules(tx, &decoded, user, &filter, after, limit);
        if limit > BULK_LIMIT {
            self.read_bulk(list).await
        } else {
            self.read(list).await
        }
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Schedule>, StoreError> {
        self.read(move |tx| {
            let range = keys::due_range(Some(now));
            tables::scan_records(
                &tx.open_table(SCHEDULES_BY_NEXT_RUN)?,
                &tx.open_table(SCHEDULES)?,
                &range,
                false,
                limit,
                |_| true,
            )
        })
        .await
    }

    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(move |tx| {
            let index = tx.open_table(SCHEDULES_BY_NEXT_RUN)?;
            let range = keys::due_range(None);
            match index.range::<&[u8]>(keys::as_slices(&range))?.next() {
                Some(entry) => {
                    let (k, _) = entry?;
                    keys::next_run_of(k.value())
                        .map(Some)
                        .ok_or_else(|| StoreError::Corrupt("short due key".into()))
                }
                None => Ok(None),
            }
        })
        .await
    }
}

#[async_trait::async_trait]
impl ExecutionReads for Store {
    async fn execution(
        &self,
        user: UserId,
        id: ExecutionId,
    ) -> Result<Option<Execution>, StoreError> {
        self.read(move |tx| {
            let e: Option<Execution> = tables::get(&tx.open_table(EXECUTIONS)?, id)?;
            Ok(e.filter(|e| e.user_id == user))
        })
        .await
    }

    async fn executions(
        &self,
        schedule: ScheduleId,
        status: Option<ExecutionStatus>,
        after: Option<(DateTime<Utc>, ExecutionId)>,
        limit: usize,
    ) -> Result<Vec<Execution>, StoreError> {
        self.read(move |tx| {
            let range = keys::executions_of_range(schedule, after);
            let keep = |e: &Execution| status.is_none_or(|s| e.status == s);
            tables::scan_records(
                &tx.open_table(EXECUTIONS_BY_SCHEDULE)?,
                &tx.open_table(EXECUTIONS)?,
                &range,
                true,
                limit,
                keep,
            )
        })
        .await
    }

    async fn executions_with_status(
        &self,
        status: ExecutionStatus,
        limit: usize,
    ) -> Result<Vec<Execution>, StoreError> {
        self.read(move |tx| {
            let range = keys::execution_status_range(status);
            tables::scan_records(
                &tx.open_table(EXECUTIONS_BY_STATUS)?,
                &tx.open_table(EXECUTIONS)?,
                &range,
                false,
                limit,
                |_| true,
            )
        })
        .await
    }
}

#[async_trait::async_trait]
impl ViewReads for Store {
    async fn schedule_with_recent(
        &self,
        user: UserId,
        id: ScheduleId,
        recent: usize,
    ) -> Result<Option<(Schedule, Vec<Execution>)>, StoreError> {
        let decoded = self.decoded.clone();
        self.read(move |tx| view_reads::schedule_with_recent(tx, &decoded, user, id, recent))
            .await
    }

    async fn run_extents(&self, schedules: Vec<ScheduleId>) -> Result<Vec<RunExtent>, StoreError> {
        self.read_bulk(move |tx| view_reads::run_extents(tx, &schedules))
            .await
    }

    async fn runs_in_window(
        &self,
        schedules: Vec<ScheduleId>,
        bounds: Arc<[DateTime<Utc>]>,
        listed_per_bucket: usize,
    ) -> Result<Vec<WindowRuns>, StoreError> {
        self.read_bulk(move |tx| {
            view_reads::runs_in_window(tx, &schedules, &bounds, listed_per_bucket)
        })
        .await
    }
}

#[async_trait::async_trait]
impl SeriesReads for Store {
    async fn series(&self, user: UserId, id: SeriesId) -> Result<Option<Series>, StoreError> {
        self.read(move |tx| {
            let s: Option<Series> = tables::get(&tx.open_table(SERIES)?, id)?;
            Ok(s.filter(|s| s.user_id == user))
        })
        .await
    }
}

#[async_trait::async_trait]
impl Tokens for Store {
    async fn put_token(&self, token_sha256: [u8; 32], user: UserId) -> Result<(), StoreError> {
        self.writer.submit(Op::PutToken(token_sha256, user)).await
    }

    async fn token_user(&self, token_sha256: [u8; 32]) -> Result<Option<UserId>, StoreError> {
        self.read(move |tx| {
            let tokens = tx.open_table(TOKENS)?;
            let user = tokens.get(token_sha256.as_slice())?;
            user.map(|u| {
                Uuid::from_slice(u.value())
                    .map_err(|e| StoreError::Corrupt(format!("token user: {e}")))
            })
            .transpose()
        })
        .await
    }
}

/// A user's schedules in id order: one status is one index range; without a status filter the
/// ranges of every status are merged by id, which keeps the listing a pure index walk.
fn list_schedules(
    tx: &ReadTransaction,
    decoded: &DecodedSchedules,
    user: UserId,
    filter: &ScheduleFilter,
    after: Option<ScheduleId>,
    limit: usize,
) -> Result<Vec<Arc<Schedule>>, StoreError> {
    let index = tx.open_table(SCHEDULES_BY_USER_STATUS)?;
    let records = tx.open_table(SCHEDULES)?;
    let statuses: Vec<ScheduleStatus> = match filter.status {
        Some(s) => vec![s],
        None => ScheduleStatus::ALL.to_vec(),
    };
    let ranges: Vec<keys::Range> = statuses
        .iter()
        .map(|s| keys::user_status_range(user, *s, after))
        .collect();
    let mut iters = Vec::with_capacity(ranges.len());
    for r in &ranges {
        iters.push(index.range::<&[u8]>(keys::as_slices(r))?.peekable());
    }
    let mut out = Vec::new();
    while out.len() < limit {
        // The smallest next id over every status range.
        let mut best: Option<(usize, Uuid)> = None;
        for (i, it) in iters.iter_mut().enumerate() {
            let id = match it.peek() {
                None => continue,
                Some(Err(_)) => {
                    if let Some(Err(e)) = it.next() {
                        return Err(e.into());
                    }
                    continue;
                }
                Some(Ok((k, _))) => keys::tail_id(k.value())
                    .ok_or_else(|| StoreError::Corrupt("short index key".into()))?,
            };
            if best.is_none_or(|(_, b)| id < b) {
                best = Some((i, id));
            }
        }
        let Some((i, id)) = best else { break };
        iters[i].next();
        let s = decoded
            .get(&records, id)?
            .ok_or_else(|| StoreError::Corrupt(format!("index names missing schedule {id}")))?;
        let keep = filter.job_type.as_deref().is_none_or(|j| s.job_type == j)
            && filter.priority.is_none_or(|p| s.priority == p);
        if keep {
            out.push(s);
        }
    }
    Ok(out)
}

/// One process owns an embedded database: no other node, no leases.
impl Nodes for Store {}
