//! Calendar feeds: create one (its secret shown once), list and revoke them, and read a feed by
//! its secret alone (calendar apps cannot send a bearer token) as an iCalendar document.
//!
//! A feed is found by the SHA-256 of the secret in the URL, one indexed lookup, so a wrong,
//! revoked or nearly-right secret all cost the same and say nothing about any real one.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Scheduler, ServiceError};
use crate::calendar::ics::{self, FeedItem};
use crate::model::{Feed, FeedFilter, FeedId, ScheduleStatus, UserId};
use crate::recurrence::FieldError;
use crate::store::ScheduleFilter;

/// Feeds per user.
pub const MAX_FEEDS: usize = 50;
/// Schedules in one feed: the rest are left out (the feed says how many).
pub const MAX_FEED_SCHEDULES: usize = 500;
/// Past runs per schedule in a feed that includes them, newest first, from the last 92 days.
pub const MAX_PAST_RUNS: usize = 50;

/// A rendered feed and its entity tag (a hash of the text).
pub struct FeedCalendar {
    pub body: String,
    pub etag: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

impl Scheduler {
    /// A new feed for `user` and its secret (shown once, never stored); `earlier` are the
    /// request's parse errors, reported with these checks'.
    pub async fn create_feed(
        &self,
        user: UserId,
        filter: FeedFilter,
        earlier: Vec<FieldError>,
    ) -> Result<(Feed, String), ServiceError> {
        let mut errors = earlier;
        for (i, id) in filter.schedule_ids.iter().enumerate() {
            let field = format!("schedule_ids[{i}]");
            if !errors.iter().any(|e| e.field == field)
                && self.storage.schedule(user, *id).await?.is_none()
            {
                errors.push(FieldError::new(field, "no such schedule"));
            }
        }
        if self.storage.feeds_of(user).await?.len() >= MAX_FEEDS {
            errors.push(FieldError::new(
                "feed",
                format!("at most {MAX_FEEDS} feeds per user; revoke one first"),
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        // 256 bits from the OS generator (two v4 UUIDs, 244 of them random).
        let secret = format!("sgf_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let feed = Feed {
            id: Uuid::now_v7(),
            user_id: user,
            secret_sha256: secret_hash(&secret),
            filter,
            created_at: self.clock.now(),
        };
        self.storage.put_feed(feed.clone()).await?;
        Ok((feed, secret))
    }

    pub async fn feeds(&self, user: UserId) -> Result<Vec<Feed>, ServiceError> {
        Ok(self.storage.feeds_of(user).await?)
    }

    pub async fn revoke_feed(&self, user: UserId, id: FeedId) -> Result<(), ServiceError> {
        match self.storage.delete_feed(user, id).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// The feed whose URL carries `secret`, rendered; `NotFound` for any other secret.
    pub async fn feed_calendar(
        &self,
        secret: &str,
        base: &str,
    ) -> Result<FeedCalendar, ServiceError> {
        let feed = self
            .storage
            .feed_by_secret(secret_hash(secret))
            .await?
            .ok_or(ServiceError::NotFound)?;
        let now = self.clock.now();
        let mut schedules = Vec::new();
        for status in [ScheduleStatus::Active, ScheduleStatus::Paused] {
            let filter = ScheduleFilter {
                status: Some(status),
                job_type: feed.filter.job_type.clone(),
                priority: None,
            };
            let mut after = None;
            while schedules.len() < MAX_FEED_SCHEDULES {
                let page = self
                    .storage
                    .list_schedules(feed.user_id, filter.clone(), after, 200)
                    .await?;
                let Some(last) = page.last() else { break };
                after = Some(last.id);
                let full = page.len() < 200;
                schedules.extend(page.into_iter().filter(|s| {
                    feed.filter.schedule_ids.is_empty() || feed.filter.schedule_ids.contains(&s.id)
                }));
                if full {
                    break;
                }
            }
        }
        schedules.sort_by_key(|s| s.id);
        schedules.truncate(MAX_FEED_SCHEDULES);
        let until = ics::horizon(now);
        let mut items = Vec::with_capacity(schedules.len());
        for s in &schedules {
            let mut past = Vec::new();
            if feed.filter.include_past_runs {
                let since = ics::window_start(now);
                past = self
                    .storage
                    .executions(s.id, None, None, MAX_PAST_RUNS)
                    .await?
                    .into_iter()
                    .filter(|e| e.scheduled_for >= since)
                    .filter(|e| e.status.is_final())
                    .collect();
            }
            items.push(FeedItem {
                schedule: s,
                planned: self.planned(s, usize::MAX, Some(until)),
                past,
            });
        }
        let body = ics::render(&items, now, base, self.calendars());
        let etag = format!("\"{}\"", &secret_hash(&body)[..32]);
        Ok(FeedCalendar { body, etag })
    }
}
