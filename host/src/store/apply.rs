//! The writer's view of one write transaction: the `Snapshot` its closures read through (so a
//! closure sees the earlier writes of its group) and the application of a `WriteSet` with every
//! index kept in step. Old index entries are found from the previously stored record.

use std::cell::RefCell;
use std::collections::HashMap;

use redb::{ReadableTable, Table, WriteTransaction};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::StoreError;
use super::codec::encode;
use super::keys::{self, ExecutionKeys, ScheduleKeys};
use super::storage::{Fence, Snapshot, WriteSet};
use super::tables::{self, *};
use crate::model::{
    Execution, ExecutionId, ExecutionStatus, RunStats, Schedule, ScheduleId, Series, SeriesId,
    UserId,
};

type RecordTable<'t> = Table<'t, &'static [u8], &'static [u8]>;
type IndexTable<'t> = Table<'t, &'static [u8], ()>;

pub struct WriteTables<'t> {
    schedules: RecordTable<'t>,
    by_user_status: IndexTable<'t>,
    by_next_run: IndexTable<'t>,
    by_status_priority: IndexTable<'t>,
    executions: RecordTable<'t>,
    exec_by_schedule: IndexTable<'t>,
    exec_by_status: IndexTable<'t>,
    series: RecordTable<'t>,
    series_by_user_status: IndexTable<'t>,
    tokens: RecordTable<'t>,
    local_jobs: Table<'t, &'static str, &'static [u8]>,
    local_jobs_by_key: Table<'t, &'static str, &'static str>,
    /// Users whose schedules or executions this transaction wrote (see `versions`).
    pub touched: Vec<UserId>,
    /// Index fields of the records as they stand in this transaction, for those it has read
    /// or written: the executor reads a record's status and then replaces the record, and
    /// each decode of the old record scans its whole JSON, config included.
    known_schedules: RefCell<HashMap<ScheduleId, ScheduleKeys>>,
    known_executions: RefCell<HashMap<ExecutionId, ExecutionKeys>>,
}

impl<'t> WriteTables<'t> {
    pub fn open(tx: &'t WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            schedules: tx.open_table(SCHEDULES)?,
            by_user_status: tx.open_table(SCHEDULES_BY_USER_STATUS)?,
            by_next_run: tx.open_table(SCHEDULES_BY_NEXT_RUN)?,
            by_status_priority: tx.open_table(SCHEDULES_BY_STATUS_PRIORITY)?,
            executions: tx.open_table(EXECUTIONS)?,
            exec_by_schedule: tx.open_table(EXECUTIONS_BY_SCHEDULE)?,
            exec_by_status: tx.open_table(EXECUTIONS_BY_STATUS)?,
            series: tx.open_table(SERIES)?,
            series_by_user_status: tx.open_table(SERIES_BY_USER_STATUS)?,
            tokens: tx.open_table(TOKENS)?,
            local_jobs: tx.open_table(super::local_jobs::JOBS)?,
            local_jobs_by_key: tx.open_table(super::local_jobs::JOBS_BY_KEY)?,
            touched: Vec::new(),
            known_schedules: RefCell::default(),
            known_executions: RefCell::default(),
        })
    }

    /// Apply one closure's writes: schedules, then executions, then run counters, then
    /// schedule deletes (which take their executions along), then series.
    pub fn apply(&mut self, w: &WriteSet) -> Result<(), StoreError> {
        for s in &w.put_schedules {
            self.put_schedule(s)?;
        }
        // A record is one value here: a run's progress is written as the whole record.
        for e in w.put_executions.iter().chain(&w.put_execution_progress) {
            self.put_execution(e)?;
        }
        for (id, stats) in &w.put_schedule_stats {
            self.put_schedule_stats(*id, stats)?;
        }
        for id in &w.delete_schedules {
            self.delete_schedule(*id)?;
        }
        for s in &w.put_series {
            self.put_series(s)?;
        }
        for id in &w.delete_series {
            self.delete_series(*id)?;
        }
        for j in &w.put_local_jobs {
            if self
                .local_jobs_by_key
                .get(j.idempotency_key.as_str())?
                .is_none()
            {
                self.local_jobs_by_key
                    .insert(j.idempotency_key.as_str(), j.job_id.as_str())?;
                self.local_jobs
                    .insert(j.job_id.as_str(), encode(j).as_slice())?;
            }
        }
        Ok(())
    }

    pub fn put_token(&mut self, sha256: &[u8; 32], user: UserId) -> Result<(), StoreError> {
        self.tokens
            .insert(sha256.as_slice(), user.as_bytes().as_slice())?;
        Ok(())
    }

    fn put_schedule(&mut self, s: &Schedule) -> Result<(), StoreError> {
        let new = ScheduleKeys::from(s);
        let old = replace_known(&self.schedules, self.known_schedules.get_mut(), s.id, new)?;
        let old = old.as_ref();
        self.touch(s.user_id);
        move_entry(
            &mut self.by_user_status,
            old.map(keys::schedule_by_user_status),
            Some(keys::schedule_by_user_status(&new)),
        )?;
        move_entry(
            &mut self.by_next_run,
            old.and_then(keys::schedule_by_next_run),
            keys::schedule_by_next_run(&new),
        )?;
        move_entry(
            &mut self.by_status_priority,
            old.map(keys::schedule_by_status_priority),
            Some(keys::schedule_by_status_priority(&new)),
        )?;
        self.schedules
            .insert(s.id.as_bytes().as_slice(), encode(s).as_slice())?;
        Ok(())
    }

    fn put_schedule_stats(&mut self, id: ScheduleId, stats: &RunStats) -> Result<(), StoreError> {
        let Some(mut s) = tables::get::<Schedule, _>(&self.schedules, id)? else {
            return Ok(());
        };
        s.stats = stats.clone();
        self.put_schedule(&s)
    }

    fn delete_schedule(&mut self, id: ScheduleId) -> Result<(), StoreError> {
        self.known_schedules.get_mut().remove(&id);
        self.known_executions
            .get_mut()
            .retain(|_, e| e.schedule_id != id);
        if let Some(old) = tables::get::<ScheduleKeys, _>(&self.schedules, id)? {
            self.touch(old.user_id);
            self.by_user_status
                .remove(keys::schedule_by_user_status(&old).as_slice())?;
            if let Some(k) = keys::schedule_by_next_run(&old) {
                self.by_next_run.remove(k.as_slice())?;
            }
            self.by_status_priority
                .remove(keys::schedule_by_status_priority(&old).as_slice())?;
            self.schedules.remove(id.as_bytes().as_slice())?;
        }
        // The history goes too, even if the schedule record was already gone.
        let range = keys::executions_of_range(id, None);
        let mut history = Vec::new();
        for entry in self
            .exec_by_schedule
            .range::<&[u8]>(keys::as_slices(&range))?
        {
            let (k, _) = entry?;
            history.push(k.value().to_vec());
        }
        for key in history {
            self.exec_by_schedule.remove(key.as_slice())?;
            let exec_id =
                keys::tail_id(&key).ok_or_else(|| StoreError::Corrupt("short index key".into()))?;
            if let Some(old) = tables::get::<ExecutionKeys, _>(&self.executions, exec_id)? {
                self.exec_by_status
                    .remove(keys::execution_by_status(&old).as_slice())?;
                self.executions.remove(exec_id.as_bytes().as_slice())?;
            }
        }
        Ok(())
    }

    fn put_execution(&mut self, e: &Execution) -> Result<(), StoreError> {
        let new = ExecutionKeys::from(e);
        let old = replace_known(&self.executions, self.known_executions.get_mut(), e.id, new)?;
        let old = old.as_ref();
        self.touch(e.user_id);
        move_entry(
            &mut self.exec_by_schedule,
            old.map(keys::execution_by_schedule),
            Some(keys::execution_by_schedule(&new)),
        )?;
        move_entry(
            &mut self.exec_by_status,
            old.map(keys::execution_by_status),
            Some(keys::execution_by_status(&new)),
        )?;
        self.executions
            .insert(e.id.as_bytes().as_slice(), encode(e).as_slice())?;
        Ok(())
    }

    fn touch(&mut self, user: UserId) {
        // Writes come in runs of one user's records; this keeps the list short cheaply.
        if self.touched.last() != Some(&user) {
            self.touched.push(user);
        }
    }

    fn put_series(&mut self, s: &Series) -> Result<(), StoreError> {
        let old: Option<Series> = tables::get(&self.series, s.id)?;
        move_entry(
            &mut self.series_by_user_status,
            old.as_ref().map(keys::series_by_user_status),
            Some(keys::series_by_user_status(s)),
        )?;
        self.series
            .insert(s.id.as_bytes().as_slice(), encode(s).as_slice())?;
        Ok(())
    }

    fn delete_series(&mut self, id: SeriesId) -> Result<(), StoreError> {
        if let Some(old) = tables::get::<Series, _>(&self.series, id)? {
            self.series_by_user_status
                .remove(keys::series_by_user_status(&old).as_slice())?;
            self.series.remove(id.as_bytes().as_slice())?;
        }
        Ok(())
    }
}

/// Replace an index entry: untouched when the key did not change.
fn move_entry(
    index: &mut IndexTable<'_>,
    old: Option<Vec<u8>>,
    new: Option<Vec<u8>>,
) -> Result<(), StoreError> {
    if old == new {
        return Ok(());
    }
    if let Some(k) = old {
        index.remove(k.as_slice())?;
    }
    if let Some(k) = new {
        index.insert(k.as_slice(), ())?;
    }
    Ok(())
}

/// The record `id` of `table`, its index fields remembered in `known`.
fn read_known<T, K>(
    table: &RecordTable<'_>,
    known: &RefCell<HashMap<Uuid, K>>,
    id: Uuid,
) -> Result<Option<T>, StoreError>
where
    T: DeserializeOwned,
    K: for<'a> From<&'a T>,
{
    let record: Option<T> = tables::get(table, id)?;
    if let Some(r) = &record {
        known.borrow_mut().insert(id, K::from(r));
    }
    Ok(record)
}

/// Remember `new` as the index fields of record `id`; returns those it replaces: remembered,
/// or decoded from the stored record when this transaction has not seen it.
fn replace_known<K: DeserializeOwned>(
    table: &RecordTable<'_>,
    known: &mut HashMap<Uuid, K>,
    id: Uuid,
    new: K,
) -> Result<Option<K>, StoreError> {
    match known.insert(id, new) {
        Some(old) => Ok(Some(old)),
        None => tables::get(table, id),
    }
}

impl Snapshot for WriteTables<'_> {
    fn schedule(&self, id: ScheduleId) -> Result<Option<Schedule>, StoreError> {
        read_known(&self.schedules, &self.known_schedules, id)
    }

    fn execution(&self, id: ExecutionId) -> Result<Option<Execution>, StoreError> {
        read_known(&self.executions, &self.known_executions, id)
    }

    fn execution_status(&self, id: ExecutionId) -> Result<Option<ExecutionStatus>, StoreError> {
        if let Some(known) = self.known_executions.borrow().get(&id) {
            return Ok(Some(known.status));
        }
        // serde skips every other field without building it.
        let keys: Option<ExecutionKeys> = tables::get(&self.executions, id)?;
        if let Some(k) = keys {
            self.known_executions.borrow_mut().insert(id, k);
        }
        Ok(keys.map(|k| k.status))
    }

    fn run_fences(&self, ids: &[ExecutionId]) -> Result<HashMap<ExecutionId, Fence>, StoreError> {
        let mut found = HashMap::with_capacity(ids.len());
        for &id in ids {
            // serde skips every other field without building it.
            if let Some(f) = tables::get::<Fence, _>(&self.executions, id)? {
                found.insert(id, f);
            }
        }
        Ok(found)
    }

    fn schedule_stats(
        &self,
        schedules: &[ScheduleId],
    ) -> Result<HashMap<ScheduleId, RunStats>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Stats {
            #[serde(default)]
            stats: RunStats,
        }
        let mut found = HashMap::with_capacity(schedules.len());
        for &id in schedules {
            if let Some(s) = tables::get::<Stats, _>(&self.schedules, id)? {
                found.insert(id, s.stats);
            }
        }
        Ok(found)
    }

    fn executions_of(
        &self,
        schedule: ScheduleId,
        status: Option<ExecutionStatus>,
        limit: usize,
    ) -> Result<Vec<Execution>, StoreError> {
        tables::executions_of(
            &self.exec_by_schedule,
            &self.executions,
            schedule,
            status,
            limit,
        )
    }

    fn series(&self, id: SeriesId) -> Result<Option<Series>, StoreError> {
        tables::get(&self.series, id)
    }

    fn local_job_by_key(
        &self,
        key: &str,
    ) -> Result<Option<crate::model::LocalJobRecord>, StoreError> {
        let Some(id) = self
            .local_jobs_by_key
            .get(key)?
            .map(|v| v.value().to_string())
        else {
            return Ok(None);
        };
        match self.local_jobs.get(id.as_str())? {
            Some(bytes) => Ok(Some(super::codec::decode(bytes.value())?)),
            None => Err(StoreError::Corrupt(format!(
                "local job index points at missing job {id}"
            ))),
        }
    }
}
