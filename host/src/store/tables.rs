//! The scheduling tables and their indexes, and the reads shared by the writer's snapshot and
//! the read transactions. Records are `codec` bytes keyed by their 16-byte id; an index table
//! maps a `keys` tuple to nothing.

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::StoreError;
use super::codec::decode;
use super::keys;
use crate::model::{Execution, ExecutionStatus};

pub type Records = TableDefinition<'static, &'static [u8], &'static [u8]>;
pub type Index = TableDefinition<'static, &'static [u8], ()>;

pub const SCHEDULES: Records = TableDefinition::new("schedules");
pub const SCHEDULES_BY_USER_STATUS: Index = TableDefinition::new("schedules_by_user_status");
pub const SCHEDULES_BY_NEXT_RUN: Index = TableDefinition::new("schedules_by_next_run");
pub const SCHEDULES_BY_STATUS_PRIORITY: Index =
    TableDefinition::new("schedules_by_status_priority");
pub const EXECUTIONS: Records = TableDefinition::new("executions");
pub const EXECUTIONS_BY_SCHEDULE: Index = TableDefinition::new("executions_by_schedule");
pub const EXECUTIONS_BY_STATUS: Index = TableDefinition::new("executions_by_status");
pub const SERIES: Records = TableDefinition::new("series");
pub const SERIES_BY_USER_STATUS: Index = TableDefinition::new("series_by_user_status");
/// SHA-256 of a bearer token -> the user's 16-byte id.
pub const TOKENS: Records = TableDefinition::new("api_tokens");

/// Create every scheduling table, so readers never meet a missing one.
pub fn init(tx: &WriteTransaction) -> Result<(), StoreError> {
    for def in [SCHEDULES, EXECUTIONS, SERIES, TOKENS] {
        tx.open_table(def)?;
    }
    for def in [
        SCHEDULES_BY_USER_STATUS,
        SCHEDULES_BY_NEXT_RUN,
        SCHEDULES_BY_STATUS_PRIORITY,
        EXECUTIONS_BY_SCHEDULE,
        EXECUTIONS_BY_STATUS,
        SERIES_BY_USER_STATUS,
    ] {
        tx.open_table(def)?;
    }
    Ok(())
}

/// The record with `id` in a records table.
pub fn get<T, R>(table: &R, id: Uuid) -> Result<Option<T>, StoreError>
where
    T: DeserializeOwned,
    R: ReadableTable<&'static [u8], &'static [u8]>,
{
    match table.get(id.as_bytes().as_slice())? {
        Some(bytes) => decode(bytes.value()).map(Some),
        None => Ok(None),
    }
}

/// Records named by an index scan, keeping those `keep` accepts, until `limit` are kept. The
/// index is walked in chunks so a selective filter does not load the whole range at once.
pub fn scan_records<T, I, R>(
    index: &I,
    records: &R,
    range: &keys::Range,
    reverse: bool,
    limit: usize,
    keep: impl Fn(&T) -> bool,
) -> Result<Vec<T>, StoreError>
where
    T: DeserializeOwned,
    I: ReadableTable<&'static [u8], ()>,
    R: ReadableTable<&'static [u8], &'static [u8]>,
{
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    let iter = index.range::<&[u8]>(keys::as_slices(range))?;
    let iter: Box<dyn Iterator<Item = _>> = if reverse {
        Box::new(iter.rev())
    } else {
        Box::new(iter)
    };
    for entry in iter {
        let (k, _) = entry?;
        let id = keys::tail_id(k.value())
            .ok_or_else(|| StoreError::Corrupt("short index key".into()))?;
        let record: T = get(records, id)?
            .ok_or_else(|| StoreError::Corrupt(format!("index names missing record {id}")))?;
        if keep(&record) {
            out.push(record);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// A schedule's executions in `scheduled_for` order, optionally one status only.
pub fn executions_of<I, R>(
    by_schedule: &I,
    executions: &R,
    schedule: Uuid,
    status: Option<ExecutionStatus>,
    limit: usize,
) -> Result<Vec<Execution>, StoreError>
where
    I: ReadableTable<&'static [u8], ()>,
    R: ReadableTable<&'static [u8], &'static [u8]>,
{
    let range = keys::executions_of_range(schedule, None);
    scan_records(
        by_schedule,
        executions,
        &range,
        false,
        limit,
        |e: &Execution| status.is_none_or(|s| e.status == s),
    )
}
