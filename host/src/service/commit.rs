//! The one way the service writes. `Scheduler::commit` runs an operation inside the store's
//! writer and, after the durable commit, does what every write owes the executor: new pending
//! executions go to the queue's handoff, and the claimer is woken when a written schedule is
//! now due before the claimer planned to look. No operation calls either by hand, so none can
//! forget to (which delayed a run by up to a minute).
//!
//! The executor's own writes (claims, runs marked started, recovery at start) are the other
//! side of this handoff: the executor queues what they make itself and writes directly.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::{Scheduler, ServiceError};
use crate::model::{Execution, ExecutionStatus, ScheduleStatus};
use crate::store::{Snapshot, WriteSet, write_with};

/// `Wakeup::claimer_wakes_at` while the claimer is looking for due work.
const CLAIMER_AWAKE: i64 = i64::MIN;

/// What the service and the executor's claimer share: pending executions made by service
/// writes (handed over directly: reloading every pending execution after each write would cost
/// O(pending) per API call), a notification, and when the claimer will next look.
pub struct Wakeup {
    handoff: Mutex<Vec<Execution>>,
    notify: Notify,
    /// When the claimer will next look for due work (UTC microseconds), or `CLAIMER_AWAKE`
    /// while it is looking. A write due later than that needs no wake-up: at thousands of
    /// creates a second, waking the claimer for each cost two store reads apiece.
    claimer_wakes_at: AtomicI64,
}

impl Default for Wakeup {
    fn default() -> Self {
        Self {
            handoff: Mutex::default(),
            notify: Notify::new(),
            claimer_wakes_at: AtomicI64::new(CLAIMER_AWAKE),
        }
    }
}

impl Wakeup {
    /// Pending executions handed over since the last call.
    pub fn take(&self) -> Vec<Execution> {
        std::mem::take(&mut *self.handoff.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// What the claimer waits on (register before looking, so no wake-up is lost between the
    /// look and the sleep).
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }

    /// Wake the claimer now (a test, or a write it must see at once).
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// The claimer is about to read the store for due work: every write from now on wakes it.
    pub fn claimer_looking(&self) {
        self.claimer_wakes_at.store(CLAIMER_AWAKE, Ordering::SeqCst);
    }

    /// The claimer has read the store and will next look at `at` unless woken.
    pub fn claimer_sleeps_until(&self, at: DateTime<Utc>) {
        self.claimer_wakes_at
            .store(at.timestamp_micros(), Ordering::SeqCst);
    }

    /// After a committed write: queue its pending executions; wake the claimer for them, or
    /// when `soonest` (the earliest next run the write set) is before the claimer's planned
    /// look. The claimer marks itself awake before it reads the store and publishes its wake
    /// time after, so a write it did not see finds either `CLAIMER_AWAKE` or a time to compare
    /// with, and no wake-up is lost.
    fn committed(&self, pending: Vec<Execution>, soonest: Option<DateTime<Utc>>) {
        let mut wake = false;
        if !pending.is_empty() {
            self.handoff
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(pending);
            wake = true;
        }
        if let Some(at) = soonest {
            let planned = self.claimer_wakes_at.load(Ordering::SeqCst);
            wake |= planned == CLAIMER_AWAKE || at.timestamp_micros() < planned;
        }
        if wake {
            self.notify.notify_one();
        }
    }
}

/// What a write set owes the executor: its pending executions and the earliest next run of
/// the active schedules it writes.
fn owed(writes: &WriteSet) -> (Vec<Execution>, Option<DateTime<Utc>>) {
    let pending = writes
        .put_executions
        .iter()
        .filter(|e| e.status == ExecutionStatus::Pending)
        .cloned()
        .collect();
    let soonest = writes
        .put_schedules
        .iter()
        .filter(|s| s.status() == ScheduleStatus::Active)
        .filter_map(|s| s.next_run_at())
        .min();
    (pending, soonest)
}

impl Scheduler {
    /// Run `op` inside the writer's transaction (it re-reads what it changes; an error writes
    /// nothing) and answer after the durable commit, having handed its pending executions to
    /// the queue and woken the claimer if it must look sooner.
    pub(crate) async fn commit<T, F>(&self, op: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnMut(&dyn Snapshot) -> Result<(WriteSet, T), ServiceError> + Send + 'static,
    {
        let mut op = op;
        let (value, pending, soonest) = write_with(&*self.storage, move |snap| {
            let (writes, value) = op(snap)?;
            let (pending, soonest) = owed(&writes);
            Ok::<_, ServiceError>((writes, (value, pending, soonest)))
        })
        .await??;
        self.wakeup.committed(pending, soonest);
        Ok(value)
    }
}
