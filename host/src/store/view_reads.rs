//! Reads shaped for the API's heavier views, each answered from one read transaction so a
//! request costs one hop to a reader thread: a schedule with its latest runs (the schedule
//! page), and the runs of many schedules inside a window (the calendar), read from the
//! `(schedule, scheduled_for)` index so counting never decodes a record.

use chrono::{DateTime, Utc};
use redb::ReadTransaction;
use serde::Deserialize;

use super::codec::decode;
use super::decoded::DecodedSchedules;
use super::storage::{RunExtent, RunMark, WindowRuns};
use super::tables::{self, EXECUTIONS, EXECUTIONS_BY_SCHEDULE, SCHEDULES};
use super::{StoreError, keys};
use crate::model::{Execution, ExecutionStatus, Schedule, ScheduleId, UserId};

pub(super) fn schedule_with_recent(
    tx: &ReadTransaction,
    decoded: &DecodedSchedules,
    user: UserId,
    id: ScheduleId,
    recent: usize,
) -> Result<Option<(Schedule, Vec<Execution>)>, StoreError> {
    let s = decoded
        .get(&tx.open_table(SCHEDULES)?, id)?
        .map(std::sync::Arc::unwrap_or_clone);
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
    #[serde(default)]
    skip_reason: Option<crate::model::SkipReason>,
}

pub(super) fn runs_in_window(
    tx: &ReadTransaction,
    schedules: &[ScheduleId],
    bounds: &[DateTime<Utc>],
    listed_per_bucket: usize,
) -> Result<Vec<WindowRuns>, StoreError> {
    let (Some(&lo), Some(&hi)) = (bounds.first(), bounds.last()) else {
        return Ok(vec![WindowRuns::default(); schedules.len()]);
    };
    // Buckets are found by comparing the keys' time bytes with the bounds' (the encoding
    // sorts as the instants do): counting decodes nothing.
    let bound_keys: Vec<[u8; keys::TIME_LEN]> = bounds.iter().map(|b| keys::time(*b)).collect();
    let index = tx.open_table(EXECUTIONS_BY_SCHEDULE)?;
    let records = tx.open_table(EXECUTIONS)?;
    let mut out = Vec::with_capacity(schedules.len());
    for &schedule in schedules {
        let range = keys::executions_in_window(schedule, lo, hi);
        let mut window = WindowRuns::default();
        let mut bucket = 0;
        for entry in index.range::<&[u8]>(keys::as_slices(&range))? {
            let (k, _) = entry?;
            let key = k.value();
            let time = key
                .get(keys::ID_LEN..keys::ID_LEN + keys::TIME_LEN)
                .ok_or_else(|| StoreError::Corrupt("short execution index key".into()))?;
            if window.counts.is_empty() {
                window.counts = vec![0; bounds.len() - 1];
            }
            while bucket + 2 < bound_keys.len() && time >= bound_keys[bucket + 1].as_slice() {
                bucket += 1;
            }
            window.counts[bucket] += 1;
            if window.counts[bucket] as usize <= listed_per_bucket {
                let (at, id) = keys::execution_window_entry(key)
                    .ok_or_else(|| StoreError::Corrupt("bad execution index key".into()))?;
                let bytes = records.get(id.as_bytes().as_slice())?.ok_or_else(|| {
                    StoreError::Corrupt(format!("index names missing execution {id}"))
                })?;
                let StatusOnly {
                    status,
                    skip_reason,
                } = decode(bytes.value())?;
                window.listed.push(RunMark {
                    at,
                    id,
                    status,
                    skip_reason,
                });
            }
        }
        out.push(window);
    }
    Ok(out)
}

pub(super) fn run_extents(
    tx: &ReadTransaction,
    schedules: &[ScheduleId],
) -> Result<Vec<RunExtent>, StoreError> {
    let index = tx.open_table(EXECUTIONS_BY_SCHEDULE)?;
    let at = |key: &[u8]| {
        keys::execution_window_entry(key)
            .map(|(at, _)| at)
            .ok_or_else(|| StoreError::Corrupt("bad execution index key".into()))
    };
    let mut out = Vec::with_capacity(schedules.len());
    for &schedule in schedules {
        let range = keys::executions_of_range(schedule, None);
        let mut keys = index.range::<&[u8]>(keys::as_slices(&range))?;
        let Some(first) = keys.next().transpose()? else {
            out.push(None);
            continue;
        };
        let first = at(first.0.value())?;
        let last = match keys.next_back().transpose()? {
            Some(last) => at(last.0.value())?,
            None => first,
        };
        out.push(Some((first, last)));
    }
    Ok(out)
}
