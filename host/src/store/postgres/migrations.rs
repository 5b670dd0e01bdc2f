//! The PostgreSQL schema as versioned migrations, applied at start. Each migration runs once,
//! in its own transaction, recorded in `sgsched_schema`; nodes starting together take an
//! advisory lock, so one applies and the others find it done. A database whose recorded
//! version is newer than this build knows is refused, never guessed at.
//!
//! Columns are named as the records' fields (`store/records.rs`, `Execution`,
//! `LocalJobRecord`), so a row is written from and read back as the record's JSON
//! (`jsonb_populate_recordset` / `to_jsonb`) and one field list serves both backends.

use tokio_postgres::Client;

use super::pg_err;
use crate::store::StoreError;

/// (version, what it does, SQL). Append only: a released migration never changes.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "schedules, executions, series, tokens, local jobs", V1),
    (2, "node leases, execution owners", V2),
    (3, "room on schedule pages for in-place counter updates", V3),
    (4, "calendar feeds", V4),
];

const V1: &str = r#"
CREATE TABLE schedules (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    job_type text NOT NULL,
    job_config jsonb NOT NULL,
    schedule_type text NOT NULL CHECK (schedule_type IN ('once', 'recurring')),
    scheduled_at timestamptz,
    recurrence_rule jsonb,
    timezone text NOT NULL DEFAULT 'UTC',
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'paused', 'completed', 'cancelled')),
    priority text NOT NULL DEFAULT 'normal'
        CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    priority_rank smallint GENERATED ALWAYS AS (
        CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END
    ) STORED,
    next_run_at timestamptz,
    last_run_at timestamptz,
    run_count bigint NOT NULL DEFAULT 0,
    max_runs bigint,
    missed_policy text NOT NULL DEFAULT 'skip',
    overlap_policy text NOT NULL DEFAULT 'skip',
    series_id uuid,
    episode bigint,
    paused_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    revision bigint NOT NULL,
    stats jsonb NOT NULL
);
CREATE INDEX schedules_by_user_status ON schedules (user_id, status, id);
-- The claimer's index: only active schedules with a next run, in due order.
CREATE INDEX schedules_due ON schedules (next_run_at, priority_rank, id)
    WHERE status = 'active' AND next_run_at IS NOT NULL;
CREATE INDEX schedules_by_status_priority ON schedules (status, priority_rank, next_run_at);

CREATE TABLE executions (
    id uuid PRIMARY KEY,
    schedule_id uuid NOT NULL,
    user_id uuid NOT NULL,
    job_type text NOT NULL,
    job_config jsonb NOT NULL,
    priority text NOT NULL,
    scheduled_for timestamptz NOT NULL,
    status text NOT NULL
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped', 'cancelled')),
    is_manual boolean NOT NULL DEFAULT false,
    counts_toward_max_runs boolean NOT NULL,
    attempt bigint NOT NULL DEFAULT 0,
    job_id text,
    started_at timestamptz,
    completed_at timestamptz,
    error_message text,
    skip_reason text,
    result_summary jsonb,
    episode bigint,
    series_id uuid,
    created_at timestamptz NOT NULL
);
CREATE INDEX executions_by_schedule ON executions (schedule_id, scheduled_for, id);
-- The executor's queue and recovery read only waiting and running work: a partial index
-- keeps finished executions (nearly all rows) out of it.
CREATE INDEX executions_unfinished ON executions (status, scheduled_for, id)
    WHERE status IN ('pending', 'running');
-- One execution per occurrence: a second claim of the same due run cannot commit.
CREATE UNIQUE INDEX executions_one_per_occurrence ON executions (schedule_id, scheduled_for)
    WHERE NOT is_manual;

CREATE TABLE series (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL,
    template_id uuid,
    episode_count bigint NOT NULL,
    schedule_rule jsonb NOT NULL,
    timezone text NOT NULL,
    job_type text NOT NULL,
    job_config jsonb NOT NULL,
    current_episode bigint NOT NULL DEFAULT 1,
    status text NOT NULL,
    schedule_ids jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX series_by_user_status ON series (user_id, status);

CREATE TABLE tokens (
    sha256 bytea PRIMARY KEY,
    user_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE local_jobs (
    job_id text COLLATE "C" PRIMARY KEY,
    user_id text NOT NULL,
    job_type text NOT NULL,
    payload jsonb NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    state text NOT NULL,
    result jsonb,
    error text,
    created_at timestamptz NOT NULL
);
CREATE INDEX local_jobs_by_user ON local_jobs (user_id, job_id);
"#;

const V2: &str = r#"
ALTER TABLE executions ADD COLUMN owner_node text;
-- One row per live node, renewed every few seconds; a row whose lease lapsed is a dead node.
-- Narrow and updated in place (no index on the renewed columns), so renewals stay HOT.
CREATE TABLE nodes (
    node_id text COLLATE "C" PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    renewed_at timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz NOT NULL
);
"#;

// An outcome changes only its schedule's counters, no indexed column: with free room on the
// page PostgreSQL updates the row in place (a HOT update) and touches none of its indexes.
const V3: &str = r#"
ALTER TABLE schedules SET (fillfactor = 70);
"#;

const V4: &str = r#"
CREATE TABLE feeds (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    secret_sha256 text NOT NULL UNIQUE,
    filter jsonb NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX feeds_by_user ON feeds (user_id, id);
"#;

/// The newest schema version this build knows.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Bring the database to [`latest`], or refuse one that is newer.
pub async fn migrate(client: &mut Client) -> Result<i32, StoreError> {
    // Any constant key: the lock only orders sgsched nodes migrating the same database.
    const LOCK: i64 = 0x5367_5363_6865_6401;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK])
        .await
        .map_err(pg_err)?;
    let result = apply_missing(client).await;
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK])
        .await
        .map_err(pg_err);
    let version = result?;
    unlock?;
    Ok(version)
}

async fn apply_missing(client: &mut Client) -> Result<i32, StoreError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS sgsched_schema (
                 version integer PRIMARY KEY,
                 description text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .map_err(pg_err)?;
    let row = client
        .query_one("SELECT coalesce(max(version), 0) FROM sgsched_schema", &[])
        .await
        .map_err(pg_err)?;
    let found: i32 = row.get(0);
    if found > latest() {
        return Err(StoreError::DatabaseTooNew {
            found: found as u64,
            supported: latest() as u64,
        });
    }
    for &(version, description, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        let tx = client.transaction().await.map_err(pg_err)?;
        tx.batch_execute(sql).await.map_err(pg_err)?;
        tx.execute(
            "INSERT INTO sgsched_schema (version, description) VALUES ($1, $2)",
            &[&version, &description],
        )
        .await
        .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)?;
        tracing::info!(version, description, "applied database migration");
    }
    Ok(latest())
}
