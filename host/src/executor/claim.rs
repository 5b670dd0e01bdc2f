//! Claiming due work: in one write transaction, for each active schedule whose `next_run_at`
//! has come, create its execution (pending, or skipped when the previous run overlaps and the
//! policy says skip) and advance the schedule: `last_run_at`, `run_count`, the next occurrence,
//! completion. A run later than the grace window is a missed run: the schedule's missed policy
//! decides (`Scheduler::catch_up`).

use chrono::{DateTime, Utc};

use crate::model::{
    Execution, ExecutionStatus, OverlapPolicy, Schedule, ScheduleStatus, SkipReason,
};
use crate::service::{Scheduler, ServiceError, claim_gate};
use crate::store::{Snapshot, UnderWay, WriteSet, write_with};

/// Claim up to `batch` due schedules; returns the pending executions created. On shared
/// storage `claimer` names the node claiming: its runs are marked as that node's, so the
/// other nodes are not called to them (they may still take them when they look for pending
/// work).
pub async fn claim_due(
    sched: &Scheduler,
    batch: usize,
    claimer: Option<&str>,
) -> Result<Vec<Execution>, ServiceError> {
    let now = sched.now();
    // A shared backend finds and takes due work inside the transaction (`take_due`); the
    // embedded one looks first, so a claim with nothing due writes nothing.
    let ids: Vec<_> = if sched.storage().shared() {
        Vec::new()
    } else {
        let due = sched.storage().due(now, batch).await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        due.iter().map(|s| s.id).collect()
    };
    let claimer = claimer.map(str::to_string);
    let this = sched.clone();
    // The claimer is the executor's side of `Scheduler::commit`: it queues what it creates
    // itself, so it writes directly.
    let created = write_with(&**sched.storage(), move |snap| {
        let mut writes = WriteSet::default();
        // A shared database's clock times the claim, so nodes whose clocks differ agree on
        // what is due.
        let now = snap.now()?.unwrap_or(now);
        // Re-read inside the transaction: a schedule may have been paused, edited or deleted
        // since the index scan, or be held by another node's claim (then it is left to it).
        let locked = match snap.take_due(now, batch)? {
            Some(taken) => taken,
            None => snap.lock_due(&ids, now)?,
        };
        let under_way = snap.runs_under_way(&locked.iter().map(|s| s.id).collect::<Vec<_>>())?;
        for s in locked {
            let Some(at) = s.next_run_at() else { continue };
            let under = under_way.get(&s.id).copied().unwrap_or_default();
            // Each schedule is claimed on its own copy: one whose rule can no longer be
            // computed must not fail the batch (and so every later claim) with it.
            let mut mine = WriteSet::default();
            let mut claimed = s.clone();
            match claim_one(&this, snap, &mut claimed, (at, under), now, &mut mine) {
                Ok(()) => {
                    writes.put_executions.append(&mut mine.put_executions);
                    writes.put_schedules.append(&mut mine.put_schedules);
                    writes.put_schedules.push(claimed);
                }
                Err(ServiceError::Invalid(errors)) => {
                    let why = errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ");
                    tracing::error!(schedule = %s.id, error = %why, "a due schedule cannot be computed; pausing it");
                    unclaimable(s, at, now, &why, &mut writes);
                }
                Err(e) => return Err(e),
            }
        }
        for e in &mut writes.put_executions {
            if e.status == ExecutionStatus::Pending {
                e.owner_node.clone_from(&claimer);
            }
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

/// Claim one due schedule (its `next_run_at` is `at`, at or before `now`; `under` its runs
/// under way when the claim began).
fn claim_one(
    sched: &Scheduler,
    snap: &dyn Snapshot,
    s: &mut Schedule,
    (at, under): (DateTime<Utc>, UnderWay),
    now: DateTime<Utc>,
    writes: &mut WriteSet,
) -> Result<(), ServiceError> {
    // A series episode waits for its predecessor to complete.
    if let Some(later) = claim_gate(snap, s, now)? {
        s.defer(later);
        return Ok(());
    }
    let grace = sched.grace();
    if now - at > grace {
        // Missed means late by more than the grace window: account only for the occurrences
        // up to `now - grace`; one inside the window is still on time and runs normally below
        // (a restart at 09:00:30 must not skip the 09:00 run).
        sched.catch_up(s, now - grace, now, SkipReason::Missed, writes)?;
        if let Some(next) = s.next_run_at()
            && next <= now
            && s.status() == ScheduleStatus::Active
        {
            advance(sched, s, (next, under), now, writes)?;
        }
    } else {
        advance(sched, s, (at, under), now, writes)?;
    }
    s.touch(now);
    Ok(())
}

/// A due schedule whose timing cannot be computed (a stored rule this version no longer
/// accepts, say): its run is recorded as failed with the reason, and the schedule is paused,
/// so the owner sees why and the claimer does not meet it again.
fn unclaimable(
    mut s: Schedule,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    why: &str,
    writes: &mut WriteSet,
) {
    let e = Execution::failed(
        &s,
        at,
        now,
        format!("the schedule's timing cannot be computed: {why}"),
    );
    s.stats
        .record(ExecutionStatus::Failed, None, e.error_message.as_deref());
    writes.put_executions.push(e);
    s.suspend(now);
    writes.put_schedules.push(s);
}

/// The on-time run at `at`: record it and move to the next occurrence.
fn advance(
    sched: &Scheduler,
    s: &mut Schedule,
    (at, under): (DateTime<Utc>, UnderWay),
    now: DateTime<Utc>,
    writes: &mut WriteSet,
) -> Result<(), ServiceError> {
    let busy = under.running || under.pending;
    if busy && s.overlap_policy == OverlapPolicy::Skip {
        writes
            .put_executions
            .push(Execution::skipped(s, at, now, SkipReason::Overlap));
        s.record_skips(1);
    } else {
        writes
            .put_executions
            .push(Execution::pending(s, at, now, false, true));
        s.record_run(at);
    }
    let next = sched.timing(s)?.next_after(at);
    s.settle(next);
    Ok(())
}
