//! One write closure in one transaction: its snapshot reads lock what they return, its
//! writes are applied in the redb writer's order (schedules, executions, their progress, run
//! counters, schedule deletes with their history, series, series deletes, local jobs), then
//! it commits.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Utc};
use deadpool_postgres::{Object, Transaction};
use tokio::runtime::Handle;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::pg_err;
use super::rows::{self, decode, decode_all};
use crate::model::{
    Execution, ExecutionId, ExecutionStatus, LocalJobRecord, RunStats, Schedule, ScheduleId,
    Series, SeriesId, UserId,
};
use crate::store::StoreError;
use crate::store::storage::{
    Fence, Rejected, RunningCounts, Snapshot, UnderWay, WriteFn, WriteSet,
};

/// Run `f` once in a new transaction and commit what it returns. `Ok(Err(Rejected))`: the
/// closure wrote nothing.
pub fn run(
    rt: &Handle,
    client: &mut Object,
    f: &mut WriteFn,
) -> Result<Result<(), Rejected>, StoreError> {
    let tx = rt.block_on(client.transaction()).map_err(pg_err)?;
    let snap = PgSnapshot { rt, tx: &tx };
    let writes = match catch_unwind(AssertUnwindSafe(|| f(&snap))) {
        Ok(Ok(w)) => w,
        Ok(Err(Rejected)) => return Ok(Err(Rejected)),
        Err(_) => return Err(StoreError::Task("a write closure panicked".into())),
    };
    snap.apply(&writes)?;
    if super::listen::worth_telling(&writes) {
        snap.execute("SELECT pg_notify($1, '')", &[&super::listen::CHANNEL])?;
    }
    rt.block_on(tx.commit()).map_err(pg_err)?;
    Ok(Ok(()))
}

/// Key of the advisory lock that orders the nodes' running marks (any constant).
const ADMISSION_LOCK: i64 = 0x5367_5363_6865_6403;

struct PgSnapshot<'a, 'c> {
    rt: &'a Handle,
    tx: &'a Transaction<'c>,
}

impl PgSnapshot<'_, '_> {
    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        self.rt.block_on(async {
            let st = self.tx.prepare_cached(sql).await.map_err(pg_err)?;
            self.tx.query(&st, params).await.map_err(pg_err)
        })
    }

    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        self.rt.block_on(async {
            let st = self.tx.prepare_cached(sql).await.map_err(pg_err)?;
            self.tx.execute(&st, params).await.map_err(pg_err)
        })
    }

    fn one<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<T>, StoreError> {
        self.query(sql, params)?.first().map(decode).transpose()
    }

    fn apply(&self, w: &WriteSet) -> Result<(), StoreError> {
        if !w.put_schedules.is_empty() {
            let batch = rows::batch(&w.put_schedules, |s| s.id)?;
            self.execute(&rows::UPSERT_SCHEDULES, &[&batch])?;
        }
        if !w.put_executions.is_empty() {
            let batch = rows::batch(&w.put_executions, |e| e.id)?;
            self.execute(&rows::UPSERT_EXECUTIONS, &[&batch])?;
        }
        if !w.put_execution_progress.is_empty() {
            let batch = rows::progress(&w.put_execution_progress)?;
            self.execute(&rows::UPDATE_PROGRESS, &[&batch])?;
        }
        if !w.put_schedule_stats.is_empty() {
            let batch = rows::stats(&w.put_schedule_stats)?;
            self.execute(&rows::UPDATE_STATS, &[&batch])?;
        }
        if !w.delete_schedules.is_empty() {
            let ids = &w.delete_schedules;
            self.execute("DELETE FROM executions WHERE schedule_id = ANY($1)", &[ids])?;
            self.execute("DELETE FROM schedules WHERE id = ANY($1)", &[ids])?;
        }
        if !w.put_series.is_empty() {
            let batch = rows::batch(&w.put_series, |s| s.id)?;
            self.execute(&rows::UPSERT_SERIES, &[&batch])?;
        }
        if !w.delete_series.is_empty() {
            self.execute("DELETE FROM series WHERE id = ANY($1)", &[&w.delete_series])?;
        }
        if !w.put_local_jobs.is_empty() {
            let jobs = rows::json(&w.put_local_jobs)?;
            self.execute(&rows::INSERT_LOCAL_JOBS, &[&jobs])?;
        }
        Ok(())
    }
}

impl Snapshot for PgSnapshot<'_, '_> {
    fn schedule(&self, id: ScheduleId) -> Result<Option<Schedule>, StoreError> {
        self.one(
            "SELECT to_jsonb(s) FROM schedules s WHERE id = $1 FOR UPDATE",
            &[&id],
        )
    }

    fn execution(&self, id: ExecutionId) -> Result<Option<Execution>, StoreError> {
        self.one(
            "SELECT to_jsonb(e) FROM executions e WHERE id = $1 FOR UPDATE",
            &[&id],
        )
    }

    fn execution_status(&self, id: ExecutionId) -> Result<Option<ExecutionStatus>, StoreError> {
        let rows = self.query(
            "SELECT status FROM executions WHERE id = $1 FOR UPDATE",
            &[&id],
        )?;
        rows.first()
            .map(|r| {
                let s: &str = r.get(0);
                ExecutionStatus::parse(s)
                    .ok_or_else(|| StoreError::Corrupt(format!("execution status {s:?}")))
            })
            .transpose()
    }

    fn executions_of(
        &self,
        schedule: ScheduleId,
        status: Option<ExecutionStatus>,
        limit: usize,
    ) -> Result<Vec<Execution>, StoreError> {
        let rows = self.query(
            "SELECT to_jsonb(e) FROM executions e WHERE schedule_id = $1 \
             AND ($2::text IS NULL OR status = $2) ORDER BY scheduled_for, id LIMIT $3",
            &[&schedule, &status.map(|s| s.as_str()), &(limit as i64)],
        )?;
        decode_all(&rows)
    }

    fn series(&self, id: SeriesId) -> Result<Option<Series>, StoreError> {
        self.one(
            "SELECT to_jsonb(s) FROM series s WHERE id = $1 FOR UPDATE",
            &[&id],
        )
    }

    // The batch reads lock in id order, so two transactions locking overlapping batches
    // queue behind each other instead of deadlocking.
    fn executions_by_id(&self, ids: &[ExecutionId]) -> Result<Vec<Execution>, StoreError> {
        let rows = self.query(
            "SELECT to_jsonb(e) FROM executions e WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&ids],
        )?;
        decode_all(&rows)
    }

    fn schedules_by_id(&self, ids: &[ScheduleId]) -> Result<Vec<Schedule>, StoreError> {
        let rows = self.query(
            "SELECT to_jsonb(s) FROM schedules s WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&ids],
        )?;
        decode_all(&rows)
    }

    fn run_fences(&self, ids: &[ExecutionId]) -> Result<HashMap<ExecutionId, Fence>, StoreError> {
        let rows = self.query(
            "SELECT id, owner_node, attempt FROM executions WHERE id = ANY($1) \
             ORDER BY id FOR UPDATE",
            &[&ids],
        )?;
        rows.iter()
            .map(|r| {
                let attempt: i64 = r.get(2);
                let fence = Fence {
                    owner_node: r.get(1),
                    attempt: u32::try_from(attempt)
                        .map_err(|_| StoreError::Corrupt(format!("attempt {attempt}")))?,
                };
                Ok((r.get(0), fence))
            })
            .collect()
    }

    fn schedule_stats(
        &self,
        schedules: &[ScheduleId],
    ) -> Result<HashMap<ScheduleId, RunStats>, StoreError> {
        let rows = self.query(
            "SELECT id, stats FROM schedules WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&schedules],
        )?;
        rows.iter()
            .map(|r| {
                let stats: serde_json::Value = r.get(1);
                let stats = serde_json::from_value(stats)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((r.get(0), stats))
            })
            .collect()
    }

    fn execution_statuses(
        &self,
        ids: &[ExecutionId],
    ) -> Result<HashMap<ExecutionId, ExecutionStatus>, StoreError> {
        let rows = self.query(
            "SELECT id, status FROM executions WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&ids],
        )?;
        rows.iter()
            .map(|r| {
                let s: &str = r.get(1);
                let status = ExecutionStatus::parse(s)
                    .ok_or_else(|| StoreError::Corrupt(format!("execution status {s:?}")))?;
                Ok((r.get(0), status))
            })
            .collect()
    }

    fn runs_under_way(
        &self,
        schedules: &[ScheduleId],
    ) -> Result<HashMap<ScheduleId, UnderWay>, StoreError> {
        let rows = self.query(
            "SELECT schedule_id, bool_or(status = 'running'), \
             bool_or(status = 'pending' AND NOT is_manual) FROM executions \
             WHERE schedule_id = ANY($1) AND status IN ('running', 'pending') \
             GROUP BY schedule_id HAVING bool_or(status = 'running') \
             OR bool_or(status = 'pending' AND NOT is_manual)",
            &[&schedules],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let under = UnderWay {
                    running: r.get(1),
                    pending: r.get(2),
                };
                (r.get(0), under)
            })
            .collect())
    }

    fn take_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Option<Vec<Schedule>>, StoreError> {
        let rows = self.query(
            "SELECT to_jsonb(s) FROM schedules s WHERE status = 'active' \
             AND next_run_at IS NOT NULL AND next_run_at <= $1 \
             ORDER BY next_run_at, priority_rank, id LIMIT $2 FOR UPDATE SKIP LOCKED",
            &[&now, &(limit as i64)],
        )?;
        decode_all(&rows).map(Some)
    }

    fn lock_due(
        &self,
        ids: &[ScheduleId],
        now: DateTime<Utc>,
    ) -> Result<Vec<Schedule>, StoreError> {
        let rows = self.query(
            "SELECT to_jsonb(s) FROM schedules s WHERE id = ANY($1) AND status = 'active' \
             AND next_run_at <= $2 ORDER BY next_run_at, priority_rank, id FOR UPDATE SKIP LOCKED",
            &[&ids, &now],
        )?;
        decode_all(&rows)
    }

    fn running_counts(&self, users: &[UserId]) -> Result<Option<RunningCounts>, StoreError> {
        // Held to this transaction's end: every node's running mark takes it, so the counts
        // stay true until this mark commits.
        self.query("SELECT pg_advisory_xact_lock($1)", &[&ADMISSION_LOCK])?;
        let all = self.query(
            "SELECT count(*) FROM executions WHERE status = 'running'",
            &[],
        )?;
        let by_user = self.query(
            "SELECT user_id, count(*) FROM executions \
             WHERE status = 'running' AND user_id = ANY($1) GROUP BY user_id",
            &[&users],
        )?;
        Ok(Some(RunningCounts {
            all: all.first().map_or(0, |r| r.get::<_, i64>(0) as u64),
            by_user: by_user
                .iter()
                .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
                .collect(),
        }))
    }

    fn now(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let rows = self.query("SELECT now()", &[])?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    fn local_job_by_key(&self, key: &str) -> Result<Option<LocalJobRecord>, StoreError> {
        self.one(
            "SELECT to_jsonb(j) FROM local_jobs j WHERE idempotency_key = $1",
            &[&key],
        )
    }
}
