//! A calendar feed: a user's planned runs as an iCalendar URL a calendar app subscribes to. The
//! URL's secret is shown once and kept only as its SHA-256, as API tokens are; the filter says
//! which of the user's schedules the feed holds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ScheduleId, UserId};

pub type FeedId = uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeedFilter {
    /// Only schedules of this job type.
    #[serde(default)]
    pub job_type: Option<String>,
    /// Only these schedules (none = every schedule of the user).
    #[serde(default)]
    pub schedule_ids: Vec<ScheduleId>,
    /// Also the runs that happened (one event per finished execution).
    #[serde(default)]
    pub include_past_runs: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feed {
    pub id: FeedId,
    pub user_id: UserId,
    /// SHA-256 of the URL's secret, hex.
    pub secret_sha256: String,
    pub filter: FeedFilter,
    pub created_at: DateTime<Utc>,
}
