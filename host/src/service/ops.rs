//! The operations on one schedule. Each write is one `commit` that re-reads the schedule inside
//! the writer, so concurrent operations never lose each other's changes, and a rejected
//! operation writes nothing.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::draft::{PatchParts, ScheduleDraft};
use super::{CATCH_UP_LIMIT, MAX_SKIPPED_RECORDS, Scheduler, ServiceError};
use crate::model::timing::Timing;
use crate::model::{
    Execution, MissedPolicy, Schedule, ScheduleId, ScheduleKind, ScheduleStatus, SkipReason,
    StatusAction, UserId,
};
use crate::recurrence::FieldError;
use crate::store::{Snapshot, WriteSet};

/// Options of "run now".
#[derive(Debug, Default, Clone, Copy)]
pub struct RunOptions {
    /// Count this manual run toward `max_runs` (and `run_count`).
    pub count_toward_max_runs: bool,
}

/// Read a user's schedule inside a write; another user's is as missing.
pub(super) fn owned(
    snap: &dyn Snapshot,
    user: UserId,
    id: ScheduleId,
) -> Result<Schedule, ServiceError> {
    match snap.schedule(id)? {
        Some(s) if s.user_id == user => Ok(s),
        _ => Err(ServiceError::NotFound),
    }
}

/// A completed or cancelled schedule refuses `what`.
pub(super) fn not_final(s: &Schedule, what: &'static str) -> Result<(), ServiceError> {
    if s.is_final() {
        return Err(ServiceError::Final {
            current: s.status(),
            what,
        });
    }
    Ok(())
}

fn one(s: Schedule) -> WriteSet {
    WriteSet {
        put_schedules: vec![s],
        ..WriteSet::default()
    }
}

/// An update `check_update` accepted, to be written by `write_update`.
#[derive(Debug)]
pub struct CheckedPatch {
    user: UserId,
    id: ScheduleId,
    patch: PatchParts,
    now: DateTime<Utc>,
}

/// A new schedule the service checked (a clone), to be written by `insert`.
#[derive(Debug)]
pub struct NewSchedule(Schedule);

impl Scheduler {
    pub async fn create(
        &self,
        user: UserId,
        draft: ScheduleDraft,
    ) -> Result<Schedule, ServiceError> {
        let s = self.build(draft, user, self.clock.now())?;
        let stored = s.clone();
        self.commit(move |_| Ok((one(stored.clone()), ()))).await?;
        Ok(s)
    }

    /// Check an update against `current` (the plugin judges a new job config: async, so
    /// outside the writer). Only a checked update can be written.
    pub async fn check_update(
        &self,
        current: &Schedule,
        patch: PatchParts,
    ) -> Result<CheckedPatch, ServiceError> {
        not_final(current, "update")?;
        let now = self.clock.now();
        self.apply_patch(current, patch.clone(), now).await?;
        Ok(CheckedPatch {
            user: current.user_id,
            id: current.id,
            patch,
            now,
        })
    }

    /// Check and write an update in one call (in-process callers; the API checks first, so
    /// its own parse errors join the list).
    pub async fn update(
        &self,
        user: UserId,
        id: ScheduleId,
        patch: PatchParts,
    ) -> Result<Schedule, ServiceError> {
        let current = self.get(user, id).await?;
        let checked = self.check_update(&current, patch).await?;
        self.write_update(checked).await
    }

    /// Write a checked update, re-applied to the schedule as it is inside the transaction so
    /// a concurrent change is not lost.
    pub async fn write_update(&self, checked: CheckedPatch) -> Result<Schedule, ServiceError> {
        let CheckedPatch {
            user,
            id,
            patch,
            now,
        } = checked;
        let this = self.clone();
        self.commit(move |snap| {
            let s = owned(snap, user, id)?;
            not_final(&s, "update")?;
            let next = this.patch_checked(&s, patch.clone(), now)?;
            Ok((one(next.clone()), next))
        })
        .await
    }

    pub async fn delete(&self, user: UserId, id: ScheduleId) -> Result<(), ServiceError> {
        self.commit(move |snap| {
            owned(snap, user, id)?;
            let writes = WriteSet {
                delete_schedules: vec![id],
                ..WriteSet::default()
            };
            Ok((writes, ()))
        })
        .await
    }

    /// Pause, cancel: a status change; a forbidden one is a conflict and writes nothing.
    pub async fn transition(
        &self,
        user: UserId,
        id: ScheduleId,
        action: StatusAction,
    ) -> Result<Schedule, ServiceError> {
        let now = self.clock.now();
        self.commit(move |snap| {
            let mut s = owned(snap, user, id)?;
            s.transition(action, now)?;
            Ok((one(s.clone()), s))
        })
        .await
    }

    /// Resume a paused schedule: recalculate from now and apply the missed policy to what fell
    /// due while it was paused; `run_immediately` also runs it now (a manual run).
    pub async fn resume(
        &self,
        user: UserId,
        id: ScheduleId,
        run_immediately: bool,
    ) -> Result<Schedule, ServiceError> {
        let now = self.clock.now();
        let this = self.clone();
        self.commit(move |snap| {
            let mut s = owned(snap, user, id)?;
            let mut writes = WriteSet::default();
            this.resume_in(&mut s, now, &mut writes)?;
            if run_immediately && s.status() == ScheduleStatus::Active {
                writes
                    .put_executions
                    .push(Execution::pending(&s, now, now, true, false));
            }
            writes.put_schedules.push(s.clone());
            Ok((writes, s))
        })
        .await
    }

    /// Resume `s` (read inside the writer) and account for what fell due while it was paused;
    /// what is late by less than the grace window is still on time and the executor claims it
    /// normally. Shared by bulk resume.
    pub(super) fn resume_in(
        &self,
        s: &mut Schedule,
        now: DateTime<Utc>,
        writes: &mut WriteSet,
    ) -> Result<(), ServiceError> {
        s.resume(now)?;
        self.catch_up(s, now - self.grace, now, SkipReason::Paused, writes)
    }

    /// Account for the occurrences of `s` that fell due up to `until` (from its `next_run_at`)
    /// per its missed policy, and move `next_run_at` past `until`; the records are made at
    /// `now`, skips with `why`. Shared with the executor's handling of downtime.
    pub fn catch_up(
        &self,
        s: &mut Schedule,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        why: SkipReason,
        writes: &mut WriteSet,
    ) -> Result<(), ServiceError> {
        let Some(first) = s.next_run_at() else {
            return Ok(());
        };
        if first > until {
            return Ok(());
        }
        let timing = self.timing(s)?;
        let budget = s.runs_left().map_or(usize::MAX, |n| n as usize);
        let (missed, more) = match &timing {
            Timing::Once(at) => (vec![*at], false),
            t => t.between(first, until, CATCH_UP_LIMIT + MAX_SKIPPED_RECORDS),
        };
        let (run, skip): (Vec<DateTime<Utc>>, Vec<DateTime<Utc>>) = match s.missed_policy {
            MissedPolicy::Skip => (Vec::new(), missed),
            MissedPolicy::RunLatest => {
                let mut m = missed;
                let last = m.pop();
                (last.into_iter().collect(), m)
            }
            MissedPolicy::RunAll => {
                let cut = missed.len().min(CATCH_UP_LIMIT);
                let rest = missed[cut..].to_vec();
                (missed[..cut].to_vec(), rest)
            }
        };
        for at in &skip {
            writes
                .put_executions
                .push(Execution::skipped(s, *at, now, why));
        }
        s.record_skips(skip.len());
        if more {
            tracing::warn!(schedule = %s.id, "more missed occurrences than are recorded; the rest are dropped");
        }
        for at in run.into_iter().take(budget) {
            writes
                .put_executions
                .push(Execution::pending(s, at, now, false, true));
            s.record_run(at);
        }
        s.settle(match &timing {
            Timing::Once(_) => None,
            t => t.next_after(until),
        });
        Ok(())
    }

    /// Run now: a manual pending execution; `next_run_at` is untouched.
    pub async fn run_now(
        &self,
        user: UserId,
        id: ScheduleId,
        opts: RunOptions,
    ) -> Result<Execution, ServiceError> {
        let now = self.clock.now();
        self.commit(move |snap| {
            let mut s = owned(snap, user, id)?;
            not_final(&s, "run")?;
            let e = Execution::pending(&s, now, now, true, opts.count_toward_max_runs);
            let mut writes = WriteSet {
                put_executions: vec![e.clone()],
                ..WriteSet::default()
            };
            if opts.count_toward_max_runs {
                s.record_run(now);
                s.settle(s.next_run_at());
                s.touch(now);
                writes.put_schedules.push(s);
            }
            Ok((writes, e))
        })
        .await
    }

    /// A copy of `source` with `overrides` applied, as a new active schedule, checked and not
    /// yet written (`insert`).
    pub async fn prepare_clone(
        &self,
        source: &Schedule,
        overrides: PatchParts,
    ) -> Result<NewSchedule, ServiceError> {
        let now = self.clock.now();
        let mut s = self
            .apply_patch(&source.without_history(), overrides, now)
            .await?;
        let first = self.first_run(&s, now)?;
        s.start_as_new(Uuid::now_v7(), now, first);
        if let ScheduleKind::Once { at } = s.kind
            && at < now - chrono::Duration::seconds(60)
        {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "scheduled_at",
                "the source's time is in the past: give a new scheduled_at",
            )]));
        }
        if s.next_run_at().is_none() {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "recurrence_rule",
                "has no occurrence after now",
            )]));
        }
        Ok(NewSchedule(s))
    }

    /// Clone in one call (in-process callers; the API prepares first, as for `update`).
    pub async fn clone_schedule(
        &self,
        user: UserId,
        id: ScheduleId,
        overrides: PatchParts,
    ) -> Result<Schedule, ServiceError> {
        let source = self.get(user, id).await?;
        let new = self.prepare_clone(&source, overrides).await?;
        self.insert(new).await
    }

    /// Write a schedule `prepare_clone` made.
    pub async fn insert(&self, new: NewSchedule) -> Result<Schedule, ServiceError> {
        let s = new.0;
        let stored = s.clone();
        self.commit(move |_| Ok((one(stored.clone()), ()))).await?;
        Ok(s)
    }

    /// The compiled timing of a stored schedule. Stored rules were valid when written, so an
    /// error means this build no longer accepts one; it is reported under `recurrence_rule`.
    pub(crate) fn timing(&self, s: &Schedule) -> Result<Timing, ServiceError> {
        Timing::of(s, &self.calendars)
            .map_err(|e| ServiceError::Invalid(e.field_errors("recurrence_rule")))
    }
}
