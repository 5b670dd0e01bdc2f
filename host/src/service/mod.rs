//! The schedule operations (create, update, pause, resume, cancel, clone, run now, delete) as
//! transactions over the storage interface and the recurrence engine. Knows nothing of HTTP.

mod draft;
mod ops;
pub mod timing;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::model::{Execution, ExecutionStatus, ScheduleStatus, StatusAction};
use crate::plugins::PluginHost;
use crate::recurrence::{FieldError, HolidayCalendars};
use crate::store::{Storage, StoreError};

pub use draft::{DraftParts, PatchParts, ScheduleDraft, SchedulePatch};
pub use ops::{RunOptions, new_execution};

/// Catch-up after a pause or downtime runs at most this many missed occurrences (`run_all`);
/// the rest are recorded as skipped, up to `MAX_SKIPPED_RECORDS`.
pub const CATCH_UP_LIMIT: usize = 100;
pub const MAX_SKIPPED_RECORDS: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid request: {} field error(s)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("cannot {} a schedule that is {current}", action.as_str())]
    Conflict {
        current: ScheduleStatus,
        action: StatusAction,
    },
    #[error("{0}")]
    ConflictMessage(String),
    /// An operation that a completed or cancelled schedule no longer allows.
    #[error("cannot {what} a schedule that is {current}")]
    Final {
        current: ScheduleStatus,
        what: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("plugin: {0}")]
    Plugin(String),
}

/// The operations on schedules, shared by the API, bulk, series and the executor.
#[derive(Clone)]
pub struct Scheduler {
    pub storage: Arc<dyn Storage>,
    pub plugins: PluginHost,
    pub calendars: Arc<HolidayCalendars>,
    pub clock: Arc<dyn Clock>,
    /// Signalled whenever a write may have made something due sooner (or created pending
    /// executions), so the executor recomputes its sleep.
    pub wake: Arc<Notify>,
    /// Pending executions a service write created (run now, resume), for the executor's queue.
    /// Handed over directly: reloading every pending execution after each write would cost
    /// O(pending) per API call.
    pub handoff: Arc<Handoff>,
    /// When the executor's claimer will next look for due work (UTC microseconds), or
    /// `CLAIMER_AWAKE` while it is looking. A new schedule due later than that needs no
    /// wake-up: at thousands of creates a second, waking the claimer for each cost two store
    /// reads apiece.
    claimer_wakes_at: Arc<AtomicI64>,
    /// A run later than this is "missed" and handled by the schedule's missed policy; the
    /// executor and resume both use it, so a pause that ends within the window misses nothing.
    pub grace: chrono::Duration,
}

/// `Scheduler::claimer_wakes_at` while the claimer is looking for due work.
const CLAIMER_AWAKE: i64 = i64::MIN;

/// Pending executions waiting to be queued by the executor.
#[derive(Default)]
pub struct Handoff(Mutex<Vec<Execution>>);

impl Handoff {
    pub fn take(&self) -> Vec<Execution> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Scheduler {
    pub fn new(storage: Arc<dyn Storage>, plugins: PluginHost, clock: Arc<dyn Clock>) -> Self {
        Self {
            storage,
            plugins,
            calendars: Arc::new(HolidayCalendars::builtin()),
            clock,
            wake: Arc::new(Notify::new()),
            handoff: Arc::default(),
            claimer_wakes_at: Arc::new(AtomicI64::new(CLAIMER_AWAKE)),
            grace: chrono::Duration::seconds(60),
        }
    }

    pub fn with_grace(mut self, grace: chrono::Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The claimer is about to read the store for due work: every write from now on wakes it.
    pub fn claimer_looking(&self) {
        self.claimer_wakes_at.store(CLAIMER_AWAKE, Ordering::SeqCst);
    }

    /// The claimer has read the store and will next look at `at` unless woken.
    pub fn claimer_sleeps_until(&self, at: chrono::DateTime<chrono::Utc>) {
        self.claimer_wakes_at
            .store(at.timestamp_micros(), Ordering::SeqCst);
    }

    /// After a committed write that may have made a schedule due at `at`: wake the claimer
    /// unless it already plans to look at or before then. The claimer marks itself awake
    /// before it reads the store and publishes its wake time after, so a write it did not see
    /// finds either `CLAIMER_AWAKE` or a time to compare with, and no wake-up is lost.
    pub fn wake_if_sooner(&self, at: Option<chrono::DateTime<chrono::Utc>>) {
        let Some(at) = at else { return };
        let planned = self.claimer_wakes_at.load(Ordering::SeqCst);
        if planned == CLAIMER_AWAKE || at.timestamp_micros() < planned {
            self.wake.notify_one();
        }
    }

    /// After a committed write: hand its pending executions to the executor and wake it (the
    /// write may also have made something due sooner).
    pub fn committed<'a>(&self, executions: impl IntoIterator<Item = &'a Execution>) {
        let mut fresh = executions
            .into_iter()
            .filter(|e| e.status == ExecutionStatus::Pending)
            .cloned()
            .peekable();
        if fresh.peek().is_some() {
            self.handoff
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(fresh);
        }
        self.wake.notify_one();
    }
}
