//! Recording finished runs. A run hands its outcome to the recorder and waits; the recorder
//! commits every outcome waiting at that moment in one write and answers each run once that
//! write is durable. While one write is in flight the next outcomes gather, so the batch grows
//! with the rate: one commit per outcome cost a transaction and its round trips per run, which
//! bounded a node's rate on a database across a network.
//!
//! What one outcome writes (the execution final, the schedule's counters, the jobs the run
//! submitted, a series moving on) is the same as before batching; only the reads are made once
//! for the batch. A series episode is recorded alone: moving a series on reads the series,
//! which another episode's outcome in the same batch would have changed.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::model::{Execution, ExecutionStatus, LocalJobRecord};
use crate::plugins::{PluginError, RunOutcome};
use crate::recurrence::HolidayCalendars;
use crate::service::{Scheduler, ServiceError};
use crate::store::{Snapshot, StoreError, WriteSet};

/// Outcomes in one write at most: a bound on one transaction's size and time.
const MAX_BATCH: usize = 512;

/// A run that has finished, as its outcome is recorded.
#[derive(Clone)]
pub struct Finished {
    /// The execution as it was marked running.
    pub running: Execution,
    pub outcome: Arc<Result<RunOutcome, PluginError>>,
    pub done: DateTime<Utc>,
    /// Jobs the run submitted that the embedded job system left to this commit.
    pub jobs: Vec<LocalJobRecord>,
}

/// What recording answers: the status recorded, or `None` when there was nothing to record
/// (the execution was deleted, or another node took the run over).
pub type Recorded = Result<Option<ExecutionStatus>, ServiceError>;

type Waiting = (Finished, oneshot::Sender<Recorded>);

#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::UnboundedSender<Waiting>,
}

impl Recorder {
    /// Start the recorder's task (it ends when the last `Recorder` is dropped).
    pub fn start(sched: Scheduler) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(record_loop(sched, rx));
        Self { tx }
    }

    /// Record `finished` durably; answers once it is.
    pub async fn record(&self, finished: Finished) -> Recorded {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Task("the outcome recorder has stopped".into());
        self.tx.send((finished, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn record_loop(sched: Scheduler, mut rx: mpsc::UnboundedReceiver<Waiting>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (alone, together): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|(f, _)| f.running.series_id.is_some());
        if !together.is_empty() {
            commit_batch(&sched, together).await;
        }
        for one in alone {
            commit_batch(&sched, vec![one]).await;
        }
    }
}

/// Commit `batch`'s outcomes in one write, and answer each. A write that fails for a passing
/// reason (the database away) is tried again with backoff: the outcomes are known, and a run
/// left `running` on a live node would stay so for good. One that fails otherwise is tried
/// outcome by outcome, so one bad record does not fail the others.
async fn commit_batch(sched: &Scheduler, batch: Vec<Waiting>) {
    let (finished, replies): (Vec<Finished>, Vec<_>) = batch.into_iter().unzip();
    let finished = Arc::new(finished);
    let mut wait = Duration::from_millis(200);
    let result = loop {
        let calendars = sched.calendars().clone();
        let all = finished.clone();
        match sched
            .commit(move |snap| record_all(&calendars, snap, &all))
            .await
        {
            Err(ServiceError::Store(e)) if e.is_transient() => {
                tracing::warn!(count = finished.len(), error = %e, "recording outcomes failed; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            other => break other,
        }
    };
    match result {
        Ok(statuses) => {
            for ((f, status), reply) in finished.iter().zip(statuses).zip(replies) {
                if let Some(s) = status {
                    crate::metrics::execution_finished(&f.running.job_type, s.as_str());
                }
                let _ = reply.send(Ok(status));
            }
        }
        Err(e) if finished.len() == 1 => {
            let _ = replies.into_iter().next().map(|r| r.send(Err(e)));
        }
        Err(e) => {
            tracing::warn!(count = finished.len(), error = %e, "recording outcomes together failed; recording each alone");
            for one in Arc::unwrap_or_clone(finished).into_iter().zip(replies) {
                Box::pin(commit_batch(sched, vec![one])).await;
            }
        }
    }
}

/// The writes recording every outcome of `all` makes, and each one's status recorded.
fn record_all(
    calendars: &HolidayCalendars,
    snap: &dyn Snapshot,
    all: &[Finished],
) -> Result<(WriteSet, Vec<Option<ExecutionStatus>>), ServiceError> {
    let ids: Vec<_> = all.iter().map(|f| f.running.id).collect();
    let fences = snap.run_fences(&ids)?;
    // Only this attempt's owner records its outcome: after a lapsed lease another node took
    // the run over, and its record wins. A deleted execution (its schedule deleted with its
    // history while it ran) has nothing to record; its jobs were made all the same.
    let ours = |f: &Finished| {
        fences
            .get(&f.running.id)
            .is_some_and(|s| s.owner_node == f.running.owner_node && s.attempt == f.running.attempt)
    };
    let schedule_ids: Vec<_> = all
        .iter()
        .filter(|f| ours(f))
        .map(|f| f.running.schedule_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut stats = snap.schedule_stats(&schedule_ids)?;
    let mut writes = WriteSet::default();
    let mut finals = Vec::with_capacity(all.len());
    for f in all {
        writes.put_local_jobs.extend(f.jobs.iter().cloned());
        if !ours(f) {
            if fences.contains_key(&f.running.id) {
                tracing::warn!(execution = %f.running.id, "not recording an outcome: the run was taken over");
            }
            finals.push(None);
            continue;
        }
        let cur = final_record(f);
        // The schedule's counters move in the same transaction as the outcome.
        if let Some(s) = stats.get_mut(&cur.schedule_id) {
            let duration = cur.started_at.map(|a| (f.done - a).num_milliseconds());
            s.record(cur.status, duration, cur.error_message.as_deref());
        }
        finals.push(Some(cur));
    }
    writes.put_schedule_stats.extend(stats);
    let mut statuses = Vec::with_capacity(all.len());
    for (f, cur) in all.iter().zip(finals) {
        let Some(cur) = cur else {
            statuses.push(None);
            continue;
        };
        // A series moves on (or re-plans a failed episode) in the same transaction; the
        // counters are applied after any schedule it writes, so they stand.
        crate::service::on_finished(calendars, snap, &cur, f.done, &mut writes)?;
        statuses.push(Some(cur.status));
        writes.put_execution_progress.push(cur);
    }
    Ok((writes, statuses))
}

/// The execution as its outcome leaves it.
fn final_record(f: &Finished) -> Execution {
    let mut cur = f.running.clone();
    cur.completed_at = Some(f.done);
    match &*f.outcome {
        Ok(out) => {
            cur.status = ExecutionStatus::Completed;
            cur.job_id = out.job_id.clone();
            cur.result_summary = Some(out.summary.clone());
            cur.error_message = None;
        }
        Err(err) => {
            cur.status = ExecutionStatus::Failed;
            cur.error_message = Some(err.to_string());
        }
    }
    cur
}
