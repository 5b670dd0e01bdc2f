//! Index key encoding: fixed-width big-endian byte tuples, so redb's byte order is the tuple
//! order and a key prefix is a range. Every key ends with the record's 16-byte id, which makes
//! keys unique and lets a scan recover the id without reading the record.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::{
    Execution, ExecutionStatus, Priority, Schedule, ScheduleStatus, Series, SeriesStatus,
};

/// The fields a schedule's index keys are made of. A stored record decodes into this without
/// building the rest (its config above all), which is all the writer needs of the record a
/// write replaces.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct ScheduleKeys {
    pub id: Uuid,
    pub user_id: Uuid,
    pub status: ScheduleStatus,
    pub priority: Priority,
    pub next_run_at: Option<DateTime<Utc>>,
}

impl From<&Schedule> for ScheduleKeys {
    fn from(s: &Schedule) -> Self {
        Self {
            id: s.id,
            user_id: s.user_id,
            status: s.status(),
            priority: s.priority,
            next_run_at: s.next_run_at(),
        }
    }
}

/// The fields an execution's index keys are made of (see [`ScheduleKeys`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct ExecutionKeys {
    pub id: Uuid,
    pub schedule_id: Uuid,
    pub status: ExecutionStatus,
    pub scheduled_for: DateTime<Utc>,
}

impl From<&Execution> for ExecutionKeys {
    fn from(e: &Execution) -> Self {
        Self {
            id: e.id,
            schedule_id: e.schedule_id,
            status: e.status,
            scheduled_for: e.scheduled_for,
        }
    }
}

/// Seconds (sign bit flipped, so negatives sort first) + nanoseconds: exact, so cursors made
/// from a stored instant compare equal to the stored key.
pub const TIME_LEN: usize = 12;
pub const ID_LEN: usize = 16;

/// An owned key range (see [`as_slices`]).
pub type Range = (Bound<Vec<u8>>, Bound<Vec<u8>>);

pub fn time(t: DateTime<Utc>) -> [u8; TIME_LEN] {
    let mut out = [0u8; TIME_LEN];
    let secs = (t.timestamp() as u64) ^ (1u64 << 63);
    out[..8].copy_from_slice(&secs.to_be_bytes());
    out[8..].copy_from_slice(&t.timestamp_subsec_nanos().to_be_bytes());
    out
}

pub fn decode_time(bytes: &[u8]) -> Option<DateTime<Utc>> {
    let secs: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
    let nanos: [u8; 4] = bytes.get(8..TIME_LEN)?.try_into().ok()?;
    let secs = (u64::from_be_bytes(secs) ^ (1u64 << 63)) as i64;
    DateTime::from_timestamp(secs, u32::from_be_bytes(nanos))
}

/// The id that ends every key.
pub fn tail_id(key: &[u8]) -> Option<Uuid> {
    let start = key.len().checked_sub(ID_LEN)?;
    Uuid::from_slice(&key[start..]).ok()
}

fn status_byte(s: ScheduleStatus) -> u8 {
    s as u8
}

/// Builds one key from its parts, in order.
struct KeyBuf(Vec<u8>);

impl KeyBuf {
    fn new() -> Self {
        KeyBuf(Vec::with_capacity(48))
    }
    fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    fn byte(mut self, b: u8) -> Self {
        self.0.push(b);
        self
    }
    fn id(self, id: Uuid) -> Self {
        self.bytes(id.as_bytes())
    }
}

/// schedules_by_user_status: user | status | id
pub fn schedule_by_user_status(s: &ScheduleKeys) -> Vec<u8> {
    user_status_prefix(s.user_id, status_byte(s.status))
        .id(s.id)
        .0
}

fn user_status_prefix(user: Uuid, status: u8) -> KeyBuf {
    KeyBuf::new().id(user).byte(status)
}

/// A user's schedules with `status`, with id > `after` when given.
pub fn user_status_range(user: Uuid, status: ScheduleStatus, after: Option<Uuid>) -> Range {
    let prefix = user_status_prefix(user, status_byte(status));
    let lo = match after {
        Some(a) => Bound::Excluded(user_status_prefix(user, status_byte(status)).id(a).0),
        None => Bound::Included(
            user_status_prefix(user, status_byte(status))
                .bytes(&[0; ID_LEN])
                .0,
        ),
    };
    (lo, Bound::Included(prefix.bytes(&[0xff; ID_LEN]).0))
}

/// schedules_by_next_run: status | next_run_at | priority rank | id — only schedules with a
/// `next_run_at`. Status leads so the executor's scan covers active schedules only (a million
/// paused ones cost it nothing), and within a status the order is (next_run_at, priority, id).
pub fn schedule_by_next_run(s: &ScheduleKeys) -> Option<Vec<u8>> {
    let next = s.next_run_at?;
    Some(
        KeyBuf::new()
            .byte(status_byte(s.status))
            .bytes(&time(next))
            .byte(s.priority.rank())
            .id(s.id)
            .0,
    )
}

/// Active schedules with `next_run_at <= now` (all of them when `now` is `None`).
pub fn due_range(now: Option<DateTime<Utc>>) -> Range {
    let active = status_byte(ScheduleStatus::Active);
    let lo = KeyBuf::new()
        .byte(active)
        .bytes(&[0; TIME_LEN + 1 + ID_LEN])
        .0;
    let hi = match now {
        Some(now) => {
            KeyBuf::new()
                .byte(active)
                .bytes(&time(now))
                .bytes(&[0xff; 1 + ID_LEN])
                .0
        }
        None => {
            KeyBuf::new()
                .byte(active)
                .bytes(&[0xff; TIME_LEN + 1 + ID_LEN])
                .0
        }
    };
    (Bound::Included(lo), Bound::Included(hi))
}

/// The `next_run_at` of a `schedules_by_next_run` key.
pub fn next_run_of(key: &[u8]) -> Option<DateTime<Utc>> {
    decode_time(key.get(1..1 + TIME_LEN)?)
}

/// schedules_by_status_priority: status | rank | next_run_at (none sorts last) | id
pub fn schedule_by_status_priority(s: &ScheduleKeys) -> Vec<u8> {
    let next = match s.next_run_at {
        Some(t) => KeyBuf::new().byte(0).bytes(&time(t)),
        None => KeyBuf::new().byte(0xff).bytes(&[0; TIME_LEN]),
    };
    KeyBuf::new()
        .byte(status_byte(s.status))
        .byte(s.priority.rank())
        .bytes(&next.0)
        .id(s.id)
        .0
}

/// executions_by_schedule: schedule | scheduled_for | id
pub fn execution_by_schedule(e: &ExecutionKeys) -> Vec<u8> {
    exec_cursor(e.schedule_id, e.scheduled_for, e.id)
}

fn exec_cursor(schedule: Uuid, at: DateTime<Utc>, id: Uuid) -> Vec<u8> {
    KeyBuf::new().id(schedule).bytes(&time(at)).id(id).0
}

/// A schedule's executions, before the cursor `(scheduled_for, id)` when given.
pub fn executions_of_range(schedule: Uuid, before: Option<(DateTime<Utc>, Uuid)>) -> Range {
    let lo = KeyBuf::new().id(schedule).bytes(&[0; TIME_LEN + ID_LEN]).0;
    let hi = match before {
        Some((at, id)) => Bound::Excluded(exec_cursor(schedule, at, id)),
        None => Bound::Included(
            KeyBuf::new()
                .id(schedule)
                .bytes(&[0xff; TIME_LEN + ID_LEN])
                .0,
        ),
    };
    (Bound::Included(lo), hi)
}

/// A schedule's executions with `scheduled_for` in `[lo, hi)`: nil is the smallest id, so
/// `(hi, nil)` excludes every key at `hi`.
pub fn executions_in_window(schedule: Uuid, lo: DateTime<Utc>, hi: DateTime<Utc>) -> Range {
    (
        Bound::Included(exec_cursor(schedule, lo, Uuid::nil())),
        Bound::Excluded(exec_cursor(schedule, hi, Uuid::nil())),
    )
}

/// `(scheduled_for, id)` of an `executions_by_schedule` key.
pub fn execution_window_entry(key: &[u8]) -> Option<(DateTime<Utc>, Uuid)> {
    Some((
        decode_time(key.get(ID_LEN..ID_LEN + TIME_LEN)?)?,
        tail_id(key)?,
    ))
}

/// executions_by_status: status | scheduled_for | id
pub fn execution_by_status(e: &ExecutionKeys) -> Vec<u8> {
    KeyBuf::new()
        .byte(e.status as u8)
        .bytes(&time(e.scheduled_for))
        .id(e.id)
        .0
}

pub fn execution_status_range(status: ExecutionStatus) -> Range {
    let lo = KeyBuf::new()
        .byte(status as u8)
        .bytes(&[0; TIME_LEN + ID_LEN])
        .0;
    let hi = KeyBuf::new()
        .byte(status as u8)
        .bytes(&[0xff; TIME_LEN + ID_LEN])
        .0;
    (Bound::Included(lo), Bound::Included(hi))
}

/// series_by_user_status: user | status | id
pub fn series_by_user_status(s: &Series) -> Vec<u8> {
    let status: SeriesStatus = s.status;
    user_status_prefix(s.user_id, status as u8).id(s.id).0
}

/// Borrow an owned range as the `&[u8]` bounds redb's `range` takes.
pub fn as_slices(r: &(Bound<Vec<u8>>, Bound<Vec<u8>>)) -> (Bound<&[u8]>, Bound<&[u8]>) {
    fn b(x: &Bound<Vec<u8>>) -> Bound<&[u8]> {
        match x {
            Bound::Included(v) => Bound::Included(v.as_slice()),
            Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
            Bound::Unbounded => Bound::Unbounded,
        }
    }
    (b(&r.0), b(&r.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_sort_like_instants_and_round_trip() {
        let instants = [
            DateTime::from_timestamp(-5_000_000_000, 0),
            DateTime::from_timestamp(-1, 999_999_999),
            DateTime::from_timestamp(0, 0),
            DateTime::from_timestamp(0, 1),
            DateTime::from_timestamp(1_700_000_000, 5),
            DateTime::from_timestamp(1_700_000_001, 0),
        ];
        let instants: Vec<DateTime<Utc>> = instants.into_iter().flatten().collect();
        for w in instants.windows(2) {
            assert!(time(w[0]) < time(w[1]), "{} < {}", w[0], w[1]);
        }
        for t in instants {
            assert_eq!(decode_time(&time(t)), Some(t));
        }
    }
}
