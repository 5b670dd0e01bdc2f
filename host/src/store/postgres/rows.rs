//! Records in and out of rows. A table's columns are named as its record's JSON fields, so a
//! batch is written as one JSON array (`jsonb_populate_recordset`) and a row read back as
//! `to_jsonb(row)` decoded by the record's own serde: the field list lives in the records.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_postgres::Row;

use crate::model::{Execution, RunStats, ScheduleId};
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
/// The fields of `WriteSet::put_execution_progress`.
const PROGRESS_COLUMNS: [&str; 8] = [
    "status",
    "attempt",
    "owner_node",
    "started_at",
    "completed_at",
    "job_id",
    "error_message",
    "result_summary",
];

/// `UPDATE` of `columns` of the rows named by the `id`s of a JSON array in `$1`.
fn update(table: &str, columns: &[&str]) -> String {
    let from: Vec<String> = columns.iter().map(|c| format!("u.{c}")).collect();
    format!(
        "UPDATE {table} t SET ({}) = ROW({}) \
         FROM jsonb_populate_recordset(NULL::{table}, $1::jsonb) u WHERE t.id = u.id",
        columns.join(", "),
        from.join(", ")
    )
}

pub static UPDATE_PROGRESS: LazyLock<String> =
    LazyLock::new(|| update("executions", &PROGRESS_COLUMNS));
pub static UPDATE_STATS: LazyLock<String> = LazyLock::new(|| update("schedules", &["stats"]));

/// The executions' progress fields and ids as one JSON array, the last of each id only.
pub fn progress(records: &[Execution]) -> Result<Value, StoreError> {
    let Value::Array(mut all) = batch(records, |e| e.id)? else {
        return Err(StoreError::Corrupt(
            "executions did not encode as a list".into(),
        ));
    };
    for v in &mut all {
        if let Value::Object(fields) = v {
            fields.retain(|k, _| k == "id" || PROGRESS_COLUMNS.contains(&k.as_str()));
        }
    }
    Ok(Value::Array(all))
}

/// New run counters as one JSON array of `{id, stats}`, the last of each id only.
pub fn stats(changes: &[(ScheduleId, RunStats)]) -> Result<Value, StoreError> {
    #[derive(Serialize)]
    struct Row<'a> {
        id: ScheduleId,
        stats: &'a RunStats,
    }
    let rows: Vec<Row> = changes
        .iter()
        .map(|(id, stats)| Row { id: *id, stats })
        .collect();
    batch(&rows, |r| r.id)
}

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
    // Straight from the jsonb bytes into the record, without a `Value` tree between.
    let tokio_postgres::types::Json(record) = row
        .try_get(0)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(record)
}

pub fn decode_all<T: DeserializeOwned>(rows: &[Row]) -> Result<Vec<T>, StoreError> {
    rows.iter().map(decode).collect()
}
