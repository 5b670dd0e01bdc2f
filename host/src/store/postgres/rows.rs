//! Records in and out of rows. A table's columns are named as its record's JSON fields, so a
//! batch is written as one JSON array (`jsonb_populate_recordset`) and a row read back as
//! `to_jsonb(row)` decoded by the record's own serde: the field list lives in the records.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_postgres::Row;

use crate::store::StoreError;

pub const SCHEDULE_COLUMNS: &str = "id, user_id, name, description, job_type, job_config, \
    schedule_type, scheduled_at, recurrence_rule, timezone, status, priority, next_run_at, \
    last_run_at, run_count, max_runs, missed_policy, overlap_policy, series_id, episode, \
    paused_at, created_at, updated_at, revision, stats";
pub const EXECUTION_COLUMNS: &str = "id, schedule_id, user_id, job_type, job_config, priority, \
    scheduled_for, status, is_manual, counts_toward_max_runs, attempt, owner_node, job_id, started_at, \
    completed_at, error_message, skip_reason, result_summary, episode, series_id, created_at";
pub const SERIES_COLUMNS: &str = "id, user_id, name, template_id, episode_count, schedule_rule, \
    timezone, job_type, job_config, current_episode, status, schedule_ids, created_at, updated_at";
pub const LOCAL_JOB_COLUMNS: &str =
    "job_id, user_id, job_type, payload, idempotency_key, state, result, error, created_at";

/// `INSERT … ON CONFLICT (id) DO UPDATE` of every column, from a JSON array in `$1`.
fn upsert(table: &str, columns: &str) -> String {
    let excluded: Vec<String> = columns
        .split(',')
        .map(|c| format!("EXCLUDED.{}", c.trim()))
        .collect();
    format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} \
         FROM jsonb_populate_recordset(NULL::{table}, $1::jsonb) \
         ON CONFLICT (id) DO UPDATE SET ({columns}) = ROW({})",
        excluded.join(", ")
    )
}

pub static UPSERT_SCHEDULES: LazyLock<String> =
    LazyLock::new(|| upsert("schedules", SCHEDULE_COLUMNS));
pub static UPSERT_EXECUTIONS: LazyLock<String> =
    LazyLock::new(|| upsert("executions", EXECUTION_COLUMNS));
pub static UPSERT_SERIES: LazyLock<String> = LazyLock::new(|| upsert("series", SERIES_COLUMNS));
/// A job whose id or idempotency key exists is not written (the embedded job system's rule).
pub static INSERT_LOCAL_JOBS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO local_jobs ({LOCAL_JOB_COLUMNS}) SELECT {LOCAL_JOB_COLUMNS} \
         FROM jsonb_populate_recordset(NULL::local_jobs, $1::jsonb) ON CONFLICT DO NOTHING"
    )
});

/// The records as one JSON array, the last of each id only (a write set may replace a record
/// it wrote earlier in the same set, and one statement may not change a row twice).
pub fn batch<T: Serialize>(
    records: &[T],
    id: impl Fn(&T) -> uuid::Uuid,
) -> Result<Value, StoreError> {
    let mut seen = HashSet::new();
    let mut keep: Vec<&T> = records
        .iter()
        .rev()
        .filter(|r| seen.insert(id(r)))
        .collect();
    keep.reverse();
    serde_json::to_value(keep).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn json<T: Serialize>(records: &[T]) -> Result<Value, StoreError> {
    serde_json::to_value(records).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A record from the first column of `row`, which holds `to_jsonb(…)` of a table row.
pub fn decode<T: DeserializeOwned>(row: &Row) -> Result<T, StoreError> {
    let v: Value = row
        .try_get(0)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn decode_all<T: DeserializeOwned>(rows: &[Row]) -> Result<Vec<T>, StoreError> {
    rows.iter().map(decode).collect()
}
