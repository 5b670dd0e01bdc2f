//! Reads shaped for the API's heavier views, each answered from one read transaction so a
//! request costs one hop to a reader thread: a schedule with its latest runs (the schedule
//! page), and the runs of many schedules inside a window (the calendar), read from the
//! `(schedule, scheduled_for)` index so counting never decodes a record.

use chrono::{DateTime, Utc};
use redb::ReadTransaction;
use serde::Deserialize;

use super::codec::decode;
use super::storage::RunMark;
use super::tables::{self, EXECUTIONS, EXECUTIONS_BY_SCHEDULE, SCHEDULES};
use super::{StoreError, keys};
use crate::model::{Execution, ExecutionStatus, Schedule, ScheduleId, UserId};

pub(super) fn schedule_with_recent(
    tx: &ReadTransaction,
    user: UserId,
    id: ScheduleId,
    recent: usize,
) -> Result<Option<(Schedule, Vec<Execution>)>, StoreError> {
    let s: Option<Schedule> = tables::get(&tx.open_table(SCHEDULES)?, id)?;
    let Some(s) = s.filter(|s| s.user_id == user) else {
        return Ok(None);
    };
    let runs = tables::scan_records(
        &tx.open_table(EXECUTIONS_BY_SCHEDULE)?,
        &tx.open_table(EXECUTIONS)?,
        &keys::executions_of_range(id, None),
        true,
        recent,
        |_: &Execution| true,
    )?;
    Ok(Some((s, runs)))
}

/// Only the field the calendar shows: serde skips the rest of the record unparsed into types.
#[derive(Deserialize)]
struct StatusOnly {
    status: ExecutionStatus,
}

pub(super) fn runs_in_window(
    tx: &ReadTransaction,
    schedules: &[ScheduleId],
    bounds: &[DateTime<Utc>],
    statuses_per_bucket: usize,
) -> Result<Vec<Vec<RunMark>>, StoreError> {
    let (Some(&lo), Some(&hi)) = (bounds.first(), bounds.last()) else {
        return Ok(vec![Vec::new(); schedules.len()]);
    };
    let index = tx.open_table(EXECUTIONS_BY_SCHEDULE)?;
    let records = tx.open_table(EXECUTIONS)?;
    let mut out = Vec::with_capacity(schedules.len());
    for &schedule in schedules {
        let range = keys::executions_in_window(schedule, lo, hi);
        let mut runs = Vec::new();
        // The bucket of the latest run and how many runs it has had; runs come in time order.
        let (mut bucket, mut in_bucket) = (0usize, 0usize);
        for entry in index.range::<&[u8]>(keys::as_slices(&range))? {
            let (k, _) = entry?;
            let (at, id) = keys::execution_window_entry(k.value())
                .ok_or_else(|| StoreError::Corrupt("short execution index key".into()))?;
            while bucket + 2 < bounds.len() && at >= bounds[bucket + 1] {
                (bucket, in_bucket) = (bucket + 1, 0);
            }
            in_bucket += 1;
            let status = if in_bucket <= statuses_per_bucket {
                let bytes = records.get(id.as_bytes().as_slice())?.ok_or_else(|| {
                    StoreError::Corrupt(format!("index names missing execution {id}"))
                })?;
                Some(decode::<StatusOnly>(bytes.value())?.status)
            } else {
                None
            };
            runs.push(RunMark { at, id, status });
        }
        out.push(runs);
    }
    Ok(out)
}
