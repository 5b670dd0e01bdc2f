//! The schedule operations (create, update, pause, resume, cancel, clone, run now, delete) as
//! transactions over the storage interface and the recurrence engine. Knows nothing of HTTP.

mod draft;
mod ops;
pub mod timing;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::model::{ScheduleStatus, StatusAction};
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
}

impl Scheduler {
    pub fn new(storage: Arc<dyn Storage>, plugins: PluginHost, clock: Arc<dyn Clock>) -> Self {
        Self {
            storage,
            plugins,
            calendars: Arc::new(HolidayCalendars::builtin()),
            clock,
            wake: Arc::new(Notify::new()),
        }
    }
}
