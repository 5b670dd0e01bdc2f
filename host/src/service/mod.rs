//! The schedule operations (create, update, pause, resume, cancel, clone, run now, delete; bulk
//! and series) as transactions over the storage interface and the recurrence engine, and the
//! reads the API and the executor make. Knows nothing of HTTP. Every write goes through
//! `commit` (commit.rs); the lifecycle rules are `Schedule`'s methods.

mod bulk;
mod commit;
mod draft;
mod feeds;
mod ops;
mod preview;
mod reads;
mod series;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::clock::Clock;
use crate::model::{ScheduleStatus, StatusAction};
use crate::plugins::PluginHost;
use crate::recurrence::{FieldError, HolidayCalendars};
use crate::store::{Storage, StoreError};

pub use bulk::{CreateItem, MAX_ITEMS, Outcome, applies_to, render_name};
pub use commit::Wakeup;
pub use draft::{DraftParts, PatchParts, ScheduleDraft, SchedulePatch};
pub use ops::{CheckedPatch, NewSchedule, RunOptions};
pub use preview::PreviewParts;
pub use series::{
    DEFER, MAX_EPISODES, NewSeries, SeriesParts, SeriesWithEpisodes, claim_gate, on_finished,
};

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

/// `earlier` field errors (the API's parse errors, or a check made before) and then those of
/// `found`, as one `Invalid` listing every field at fault; `Ok` only when neither has any.
pub fn with_field_errors<T>(
    earlier: Vec<FieldError>,
    found: Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    match found {
        Ok(v) if earlier.is_empty() => Ok(v),
        Ok(_) => Err(ServiceError::Invalid(earlier)),
        Err(ServiceError::Invalid(more)) => {
            let mut all = earlier;
            all.extend(more);
            Err(ServiceError::Invalid(all))
        }
        Err(e) => Err(e),
    }
}

impl From<crate::model::TransitionError> for ServiceError {
    fn from(e: crate::model::TransitionError) -> Self {
        ServiceError::Conflict {
            current: e.from,
            action: e.action,
        }
    }
}

/// The operations on schedules, shared by the API and the executor. Its parts are private: a
/// write that skipped `commit` could leave the executor asleep.
#[derive(Clone)]
pub struct Scheduler {
    storage: Arc<dyn Storage>,
    plugins: PluginHost,
    calendars: Arc<HolidayCalendars>,
    clock: Arc<dyn Clock>,
    wakeup: Arc<Wakeup>,
    /// A run later than this is "missed" and handled by the schedule's missed policy; the
    /// executor and resume both use it, so a pause that ends within the window misses nothing.
    grace: chrono::Duration,
}

impl Scheduler {
    pub fn new(storage: Arc<dyn Storage>, plugins: PluginHost, clock: Arc<dyn Clock>) -> Self {
        Self {
            storage,
            plugins,
            calendars: Arc::new(HolidayCalendars::builtin()),
            clock,
            wakeup: Arc::default(),
            grace: chrono::Duration::seconds(60),
        }
    }

    pub fn with_grace(mut self, grace: chrono::Duration) -> Self {
        self.grace = grace;
        self
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn plugins(&self) -> &PluginHost {
        &self.plugins
    }

    pub fn calendars(&self) -> &Arc<HolidayCalendars> {
        &self.calendars
    }

    pub fn grace(&self) -> chrono::Duration {
        self.grace
    }

    /// The claimer's side of `commit`: the handoff, the notification, its planned look.
    pub fn wakeup(&self) -> &Wakeup {
        &self.wakeup
    }

    /// The storage, for the executor's own reads and writes and for tests. API handlers use
    /// the operations and reads of this type instead.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }
}
