//! The operations on one schedule. Each write is one storage transaction that re-reads the
//! schedule inside the writer, so concurrent operations never lose each other's changes, and a
//! rejected operation writes nothing.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::draft::{PatchParts, ScheduleDraft};
use super::timing::Timing;
use super::{CATCH_UP_LIMIT, MAX_SKIPPED_RECORDS, Scheduler, ServiceError};
use crate::model::{
    Execution, ExecutionStatus, MissedPolicy, Schedule, ScheduleId, ScheduleStatus, ScheduleType,
    StatusAction, UserId,
};
use crate::recurrence::FieldError;
use crate::store::{ScheduleFilter, Snapshot, WriteSet, write_with};

/// Options of "run now".
#[derive(Debug, Default, Clone, Copy)]
pub struct RunOptions {
    /// Count this manual run toward `max_runs` (and `run_count`).
    pub count_toward_max_runs: bool,
}

/// A pending execution of `s` for `scheduled_for`, with the config it will run.
pub fn new_execution(
    s: &Schedule,
    scheduled_for: DateTime<Utc>,
    now: DateTime<Utc>,
    manual: bool,
    counts: bool,
) -> Execution {
    Execution {
        id: Uuid::now_v7(),
        schedule_id: s.id,
        user_id: s.user_id,
        job_type: s.job_type.clone(),
        job_config: s.job_config.clone(),
        priority: s.priority,
        scheduled_for,
        status: ExecutionStatus::Pending,
        is_manual: manual,
        counts_toward_max_runs: counts,
        attempt: 0,
        job_id: None,
        started_at: None,
        completed_at: None,
        error_message: None,
        result_summary: None,
        episode: s.episode,
        series_id: s.series_id,
        created_at: now,
    }
}

fn skipped(s: &Schedule, scheduled_for: DateTime<Utc>, now: DateTime<Utc>, why: &str) -> Execution {
    let mut e = new_execution(s, scheduled_for, now, false, false);
    e.status = ExecutionStatus::Skipped;
    e.completed_at = Some(now);
    e.error_message = Some(why.to_string());
    e
}

/// Read a user's schedule inside a write; another user's is as missing.
fn owned(snap: &dyn Snapshot, user: UserId, id: ScheduleId) -> Result<Schedule, ServiceError> {
    match snap.schedule(id)? {
        Some(s) if s.user_id == user => Ok(s),
        _ => Err(ServiceError::NotFound),
    }
}

fn one(s: Schedule) -> WriteSet {
    WriteSet {
        put_schedules: vec![s],
        ..WriteSet::default()
    }
}

impl Scheduler {
    pub async fn create(
        &self,
        user: UserId,
        draft: ScheduleDraft,
    ) -> Result<Schedule, ServiceError> {
        let s = self.build(draft, user, self.clock.now())?;
        let stored = s.clone();
        write_with(&*self.storage, move |_| {
            Ok::<_, ServiceError>((one(stored), ()))
        })
        .await??;
        self.wake_if_sooner(s.next_run_at);
        Ok(s)
    }

    pub async fn get(&self, user: UserId, id: ScheduleId) -> Result<Schedule, ServiceError> {
        self.storage
            .schedule(user, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    pub async fn list(
        &self,
        user: UserId,
        filter: ScheduleFilter,
        after: Option<ScheduleId>,
        limit: usize,
    ) -> Result<Vec<Schedule>, ServiceError> {
        Ok(self
            .storage
            .list_schedules(user, filter, after, limit)
            .await?)
    }

    /// Apply an update. The plugin validates a new job config before the write; the write
    /// re-reads the schedule so a concurrent change is not lost.
    pub async fn update(
        &self,
        user: UserId,
        id: ScheduleId,
        patch: PatchParts,
        errors: Vec<FieldError>,
    ) -> Result<Schedule, ServiceError> {
        let current = self.get(user, id).await?;
        if current.status.is_final() {
            return Err(ServiceError::Final {
                current: current.status,
                what: "update",
            });
        }
        // Validate against the current state (plugin calls are async and stay outside the
        // writer), then re-apply to the schedule as it is inside the transaction.
        let now = self.clock.now();
        self.apply_patch(&current, patch.clone(), errors, now)
            .await?;
        let this = self.clone();
        let updated = write_with(&*self.storage, move |snap| {
            let s = owned(snap, user, id)?;
            if s.status.is_final() {
                return Err(ServiceError::Final {
                    current: s.status,
                    what: "update",
                });
            }
            let next = this.patch_checked(&s, patch, Vec::new(), now)?;
            Ok((one(next.clone()), next))
        })
        .await??;
        self.wake.notify_one();
        Ok(updated)
    }

    pub async fn delete(&self, user: UserId, id: ScheduleId) -> Result<(), ServiceError> {
        write_with(&*self.storage, move |snap| {
            owned(snap, user, id)?;
            Ok::<_, ServiceError>((
                WriteSet {
                    delete_schedules: vec![id],
                    ..WriteSet::default()
                },
                (),
            ))
        })
        .await??;
        self.wake.notify_one();
        Ok(())
    }

    /// Pause, cancel: a status change; a forbidden one is a conflict and writes nothing.
    pub async fn transition(
        &self,
        user: UserId,
        id: ScheduleId,
        action: StatusAction,
    ) -> Result<Schedule, ServiceError> {
        let now = self.clock.now();
        let s = write_with(&*self.storage, move |snap| {
            let mut s = owned(snap, user, id)?;
            s.status = s.status.apply(action).map_err(|e| ServiceError::Conflict {
                current: e.from,
                action,
            })?;
            match action {
                StatusAction::Pause => s.paused_at = Some(now),
                StatusAction::Cancel => {
                    s.next_run_at = None;
                    s.paused_at = None;
                }
                _ => {}
            }
            s.updated_at = now;
            s.revision += 1;
            Ok::<_, ServiceError>((one(s.clone()), s))
        })
        .await??;
        self.wake.notify_one();
        Ok(s)
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
        let s = write_with(&*self.storage, move |snap| {
            let mut s = owned(snap, user, id)?;
            s.status =
                s.status
                    .apply(StatusAction::Resume)
                    .map_err(|e| ServiceError::Conflict {
                        current: e.from,
                        action: StatusAction::Resume,
                    })?;
            let mut writes = WriteSet::default();
            // What is late by less than the grace window is still on time: the executor
            // claims it normally.
            this.catch_up(&mut s, now - this.grace, now, &mut writes)?;
            if run_immediately && s.status == ScheduleStatus::Active {
                writes
                    .put_executions
                    .push(new_execution(&s, now, now, true, false));
            }
            s.paused_at = None;
            s.updated_at = now;
            s.revision += 1;
            writes.put_schedules.push(s.clone());
            let created = writes.put_executions.clone();
            Ok::<_, ServiceError>((writes, (s, created)))
        })
        .await??;
        self.committed(&s.1);
        Ok(s.0)
    }

    /// Account for the occurrences of `s` that fell due up to `until` (from its `next_run_at`)
    /// per its missed policy, and move `next_run_at` past `until`; the records are made at
    /// `now`. Shared with the executor's handling of downtime.
    pub fn catch_up(
        &self,
        s: &mut Schedule,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        writes: &mut WriteSet,
    ) -> Result<(), ServiceError> {
        let Some(first) = s.next_run_at else {
            return Ok(());
        };
        if first > until {
            return Ok(());
        }
        let timing = Timing::of(s, &self.calendars)
            .map_err(|e| ServiceError::Invalid(e.field_errors("recurrence_rule")))?;
        let budget = s
            .max_runs
            .map(|m| m.saturating_sub(s.run_count) as usize)
            .unwrap_or(usize::MAX);
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
        let runs: Vec<DateTime<Utc>> = run.into_iter().take(budget).collect();
        for at in &skip {
            writes.put_executions.push(skipped(
                s,
                *at,
                now,
                "missed while the scheduler could not run it",
            ));
        }
        s.stats.skipped += skip.len() as u32;
        if more {
            tracing::warn!(schedule = %s.id, "more missed occurrences than are recorded; the rest are dropped");
        }
        for at in &runs {
            writes
                .put_executions
                .push(new_execution(s, *at, now, false, true));
            s.run_count += 1;
            s.last_run_at = Some(*at);
        }
        s.next_run_at = match &timing {
            Timing::Once(_) => None,
            t => t.next_after(until),
        };
        if s.next_run_at.is_none() || s.max_runs.is_some_and(|m| s.run_count >= m) {
            if s.schedule_type == ScheduleType::Once
                || s.next_run_at.is_none()
                || s.max_runs.is_some()
            {
                s.status = ScheduleStatus::Completed;
            }
            s.next_run_at = None;
        }
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
        let e = write_with(&*self.storage, move |snap| {
            let mut s = owned(snap, user, id)?;
            if s.status.is_final() {
                return Err(ServiceError::Final {
                    current: s.status,
                    what: "run",
                });
            }
            let e = new_execution(&s, now, now, true, opts.count_toward_max_runs);
            let mut writes = WriteSet {
                put_executions: vec![e.clone()],
                ..WriteSet::default()
            };
            if opts.count_toward_max_runs {
                s.run_count += 1;
                s.last_run_at = Some(now);
                if s.max_runs.is_some_and(|m| s.run_count >= m) {
                    s.status = ScheduleStatus::Completed;
                    s.next_run_at = None;
                    s.paused_at = None;
                }
                s.updated_at = now;
                s.revision += 1;
                writes.put_schedules.push(s);
            }
            Ok((writes, e))
        })
        .await??;
        self.committed([&e]);
        Ok(e)
    }

    /// A copy of a schedule with `overrides` applied, as a new active schedule.
    pub async fn clone_schedule(
        &self,
        user: UserId,
        id: ScheduleId,
        overrides: PatchParts,
        errors: Vec<FieldError>,
    ) -> Result<Schedule, ServiceError> {
        let source = self.get(user, id).await?;
        let now = self.clock.now();
        let mut base = source.clone();
        base.status = ScheduleStatus::Active;
        base.run_count = 0;
        base.last_run_at = None;
        base.paused_at = None;
        base.series_id = None;
        base.episode = None;
        base.next_run_at = None;
        base.stats = Default::default();
        let mut s = self.apply_patch(&base, overrides, errors, now).await?;
        s.id = Uuid::now_v7();
        s.created_at = now;
        s.updated_at = now;
        s.revision = 1;
        s.status = ScheduleStatus::Active;
        s.next_run_at = self.first_run(&s, now)?;
        if s.schedule_type == ScheduleType::Once
            && s.scheduled_at
                .is_some_and(|at| at < now - chrono::Duration::seconds(60))
        {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "scheduled_at",
                "the source's time is in the past: give a new scheduled_at",
            )]));
        }
        if s.next_run_at.is_none() {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "recurrence_rule",
                "has no occurrence after now",
            )]));
        }
        let stored = s.clone();
        write_with(&*self.storage, move |_| {
            Ok::<_, ServiceError>((one(stored), ()))
        })
        .await??;
        self.wake.notify_one();
        Ok(s)
    }
}
