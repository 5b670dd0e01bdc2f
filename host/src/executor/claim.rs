//! Claiming due work: in one write transaction, for each active schedule whose `next_run_at`
//! has come, create its execution (pending, or skipped when the previous run overlaps and the
//! policy says skip) and advance the schedule: `last_run_at`, `run_count`, the next occurrence,
//! completion. A run later than the grace window is a missed run: the schedule's missed policy
//! decides (`Scheduler::catch_up`).

use chrono::{DateTime, Duration, Utc};

use crate::model::{Execution, ExecutionStatus, OverlapPolicy, Schedule, ScheduleStatus};
use crate::service::timing::Timing;
use crate::service::{Scheduler, ServiceError, new_execution};
use crate::store::{Snapshot, WriteSet, write_with};

/// Claim up to `batch` due schedules; returns the pending executions created.
pub async fn claim_due(
    sched: &Scheduler,
    grace: Duration,
    batch: usize,
) -> Result<Vec<Execution>, ServiceError> {
    let now = sched.clock.now();
    let due = sched.storage.due(now, batch).await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<_> = due.iter().map(|s| s.id).collect();
    let this = sched.clone();
    let created = write_with(&*sched.storage, move |snap| {
        let mut writes = WriteSet::default();
        for id in ids {
            // Re-read inside the transaction: the schedule may have been paused, edited or
            // deleted since the index scan.
            let Some(mut s) = snap.schedule(id)? else {
                continue;
            };
            let Some(at) = s.next_run_at else { continue };
            if s.status != ScheduleStatus::Active || at > now {
                continue;
            }
            // A series episode waits for its predecessor to complete.
            if let Some(later) = crate::series::claim_gate(snap, &s, now)? {
                s.next_run_at = Some(later);
                s.revision += 1;
                writes.put_schedules.push(s);
                continue;
            }
            if now - at > grace {
                // Missed means late by more than the grace window: account only for the
                // occurrences up to `now - grace`; one inside the window is still on time and
                // runs normally below (a restart at 09:00:30 must not skip the 09:00 run).
                let first_new = writes.put_executions.len();
                this.catch_up(&mut s, now - grace, &mut writes)?;
                for e in &mut writes.put_executions[first_new..] {
                    e.created_at = now;
                    if e.completed_at.is_some() {
                        e.completed_at = Some(now);
                    }
                }
                if let Some(next) = s.next_run_at
                    && next <= now
                    && s.status == ScheduleStatus::Active
                {
                    advance(&this, snap, &mut s, next, now, &mut writes)?;
                }
            } else {
                advance(&this, snap, &mut s, at, now, &mut writes)?;
            }
            s.updated_at = now;
            s.revision += 1;
            writes.put_schedules.push(s);
        }
        let created: Vec<Execution> = writes
            .put_executions
            .iter()
            .filter(|e| e.status == ExecutionStatus::Pending)
            .cloned()
            .collect();
        Ok::<_, ServiceError>((writes, created))
    })
    .await??;
    Ok(created)
}

/// The on-time run at `at`: record it and move to the next occurrence.
fn advance(
    sched: &Scheduler,
    snap: &dyn Snapshot,
    s: &mut Schedule,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    writes: &mut WriteSet,
) -> Result<(), ServiceError> {
    let busy = !snap
        .executions_of(s.id, Some(ExecutionStatus::Running), 1)?
        .is_empty()
        || snap
            .executions_of(s.id, Some(ExecutionStatus::Pending), 1)?
            .iter()
            .any(|e| !e.is_manual);
    if busy && s.overlap_policy == OverlapPolicy::Skip {
        let mut e = new_execution(s, at, now, false, false);
        e.status = ExecutionStatus::Skipped;
        e.completed_at = Some(now);
        e.error_message =
            Some("skipped: the previous run was still running (overlap policy skip)".into());
        writes.put_executions.push(e);
        s.stats.skipped += 1;
    } else {
        writes
            .put_executions
            .push(new_execution(s, at, now, false, true));
        s.run_count += 1;
        s.last_run_at = Some(at);
    }
    let timing = Timing::of(s, &sched.calendars)
        .map_err(|e| ServiceError::Invalid(e.field_errors("recurrence_rule")))?;
    s.next_run_at = timing.next_after(at);
    if s.next_run_at.is_none() || s.max_runs.is_some_and(|m| s.run_count >= m) {
        s.status = ScheduleStatus::Completed;
        s.next_run_at = None;
    }
    Ok(())
}
