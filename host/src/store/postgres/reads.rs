//! The read side of the storage traits: each read is one statement on a pooled connection,
//! at READ COMMITTED, so it sees every write acknowledged before it on any node.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::rows::{decode, decode_all};
use super::{PgStore, pg_err};
use crate::model::{
    Execution, ExecutionId, ExecutionStatus, Feed, FeedId, LocalJobRecord, Schedule, ScheduleId,
    Series, SeriesId, UserId,
};
use crate::store::StoreError;
use crate::store::storage::{
    ExecutionReads, Feeds, JobRecords, RunExtent, ScheduleFilter, ScheduleReads, SeriesReads,
    Tokens, ViewReads,
};

impl PgStore {
    async fn rows(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql).await.map_err(pg_err)?;
        client.query(&st, params).await.map_err(pg_err)
    }

    async fn records<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<T>, StoreError> {
        decode_all(&self.rows(sql, params).await?)
    }

    async fn record<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<T>, StoreError> {
        self.rows(sql, params)
            .await?
            .first()
            .map(decode)
            .transpose()
    }
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl ScheduleReads for PgStore {
    async fn schedule(&self, user: UserId, id: ScheduleId) -> Result<Option<Schedule>, StoreError> {
        self.record(
            "SELECT to_jsonb(s) FROM schedules s WHERE id = $1 AND user_id = $2",
            &[&id, &user],
        )
        .await
    }

    async fn list_schedules(
        &self,
        user: UserId,
        filter: ScheduleFilter,
        after: Option<ScheduleId>,
        n: usize,
    ) -> Result<Vec<Schedule>, StoreError> {
        self.records(
            "SELECT to_jsonb(s) FROM schedules s WHERE user_id = $1 \
             AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR job_type = $3) \
             AND ($4::text IS NULL OR priority = $4) AND ($5::uuid IS NULL OR id > $5) \
             ORDER BY id LIMIT $6",
            &[
                &user,
                &filter.status.map(|s| s.as_str()),
                &filter.job_type,
                &filter.priority.map(|p| p.as_str()),
                &after,
                &limit(n),
            ],
        )
        .await
    }

    async fn due(&self, now: DateTime<Utc>, n: usize) -> Result<Vec<Schedule>, StoreError> {
        self.records(
            "SELECT to_jsonb(s) FROM schedules s \
             WHERE status = 'active' AND next_run_at IS NOT NULL AND next_run_at <= $1 \
             ORDER BY next_run_at, priority_rank, id LIMIT $2",
            &[&now, &limit(n)],
        )
        .await
    }

    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let rows = self
            .rows(
                "SELECT min(next_run_at) FROM schedules \
                 WHERE status = 'active' AND next_run_at IS NOT NULL",
                &[],
            )
            .await?;
        Ok(rows.first().and_then(|r| r.get(0)))
    }
}

#[async_trait::async_trait]
impl ExecutionReads for PgStore {
    async fn execution(
        &self,
        user: UserId,
        id: ExecutionId,
    ) -> Result<Option<Execution>, StoreError> {
        self.record(
            "SELECT to_jsonb(e) FROM executions e WHERE id = $1 AND user_id = $2",
            &[&id, &user],
        )
        .await
    }

    async fn executions(
        &self,
        schedule: ScheduleId,
        status: Option<ExecutionStatus>,
        after: Option<(DateTime<Utc>, ExecutionId)>,
        n: usize,
    ) -> Result<Vec<Execution>, StoreError> {
        let (at, id) = after.unzip();
        self.records(
            "SELECT to_jsonb(e) FROM executions e WHERE schedule_id = $1 \
             AND ($2::text IS NULL OR status = $2) \
             AND ($3::timestamptz IS NULL OR (scheduled_for, id) < ($3, $4::uuid)) \
             ORDER BY scheduled_for DESC, id DESC LIMIT $5",
            &[&schedule, &status.map(|s| s.as_str()), &at, &id, &limit(n)],
        )
        .await
    }

    async fn executions_with_status(
        &self,
        status: ExecutionStatus,
        n: usize,
    ) -> Result<Vec<Execution>, StoreError> {
        self.records(
            "SELECT to_jsonb(e) FROM executions e WHERE status = $1 \
             ORDER BY scheduled_for, id LIMIT $2",
            &[&status.as_str(), &limit(n)],
        )
        .await
    }
}

#[async_trait::async_trait]
impl ViewReads for PgStore {
    async fn run_extents(&self, schedules: Vec<ScheduleId>) -> Result<Vec<RunExtent>, StoreError> {
        let rows = self
            .rows(
                "SELECT schedule_id, min(scheduled_for), max(scheduled_for) FROM executions \
                 WHERE schedule_id = ANY($1) GROUP BY schedule_id",
                &[&schedules],
            )
            .await?;
        let found: std::collections::HashMap<ScheduleId, (DateTime<Utc>, DateTime<Utc>)> = rows
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect();
        Ok(schedules.iter().map(|id| found.get(id).copied()).collect())
    }
}

#[async_trait::async_trait]
impl SeriesReads for PgStore {
    async fn series(&self, user: UserId, id: SeriesId) -> Result<Option<Series>, StoreError> {
        self.record(
            "SELECT to_jsonb(s) FROM series s WHERE id = $1 AND user_id = $2",
            &[&id, &user],
        )
        .await
    }
}

#[async_trait::async_trait]
impl Tokens for PgStore {
    async fn put_token(&self, token_sha256: [u8; 32], user: UserId) -> Result<(), StoreError> {
        self.rows(
            "INSERT INTO tokens (sha256, user_id) VALUES ($1, $2) \
             ON CONFLICT (sha256) DO UPDATE SET user_id = EXCLUDED.user_id",
            &[&token_sha256.as_slice(), &user],
        )
        .await?;
        Ok(())
    }

    async fn token_user(&self, token_sha256: [u8; 32]) -> Result<Option<UserId>, StoreError> {
        let rows = self
            .rows(
                "SELECT user_id FROM tokens WHERE sha256 = $1",
                &[&token_sha256.as_slice()],
            )
            .await?;
        Ok(rows.first().map(|r| r.get(0)))
    }
}

#[async_trait::async_trait]
impl Feeds for PgStore {
    async fn put_feed(&self, feed: Feed) -> Result<(), StoreError> {
        let filter = tokio_postgres::types::Json(&feed.filter);
        self.rows(
            "INSERT INTO feeds (id, user_id, secret_sha256, filter, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &feed.id,
                &feed.user_id,
                &feed.secret_sha256,
                &filter,
                &feed.created_at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn feed_by_secret(&self, secret_sha256: String) -> Result<Option<Feed>, StoreError> {
        self.record(
            "SELECT to_jsonb(f) FROM feeds f WHERE secret_sha256 = $1",
            &[&secret_sha256],
        )
        .await
    }

    async fn feeds_of(&self, user: UserId) -> Result<Vec<Feed>, StoreError> {
        self.records(
            "SELECT to_jsonb(f) FROM feeds f WHERE user_id = $1 ORDER BY id",
            &[&user],
        )
        .await
    }

    async fn delete_feed(&self, user: UserId, id: FeedId) -> Result<bool, StoreError> {
        let rows = self
            .rows(
                "DELETE FROM feeds WHERE id = $1 AND user_id = $2 RETURNING id",
                &[&id, &user],
            )
            .await?;
        Ok(!rows.is_empty())
    }
}

#[async_trait::async_trait]
impl JobRecords for PgStore {
    async fn local_job(&self, job_id: String) -> Result<Option<LocalJobRecord>, StoreError> {
        self.record(
            "SELECT to_jsonb(j) FROM local_jobs j WHERE job_id = $1",
            &[&job_id],
        )
        .await
    }

    async fn local_jobs(
        &self,
        user: Option<String>,
        after: Option<String>,
        n: usize,
    ) -> Result<Vec<LocalJobRecord>, StoreError> {
        self.records(
            "SELECT to_jsonb(j) FROM local_jobs j WHERE ($1::text IS NULL OR user_id = $1) \
             AND ($2::text IS NULL OR job_id > $2) ORDER BY job_id LIMIT $3",
            &[&user, &after, &limit(n)],
        )
        .await
    }
}
