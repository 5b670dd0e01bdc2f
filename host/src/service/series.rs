//! Content series: `episode_count` episodes scheduled on the first occurrences of a rule, each a
//! once schedule carrying its episode number and the series id (they travel with every
//! execution and in the job-system payload, since a job type's config schema is its own).
//!
//! The sequence rule:
//! - episode k+1 is never claimed before episode k has completed successfully: if it comes due
//!   first, it is deferred (re-checked every `DEFER` until k is done);
//! - each episode number completes exactly once: a failed episode k is run again at the rule's
//!   next free occurrence, and episodes k+1.. move to the occurrences after it, so a failure
//!   never leaves a gap and the order always holds;
//! - `current_episode` is the lowest episode not yet completed; the series completes after the
//!   last one; cancelling it cancels every episode that has not run.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use uuid::Uuid;

use super::draft::DraftParts;
use super::{Scheduler, ServiceError};
use crate::model::{
    Execution, ExecutionStatus, MissedPolicy, Priority, Schedule, ScheduleKind, ScheduleStatus,
    ScheduleType, Series, SeriesId, SeriesStatus, UserId,
};
use crate::recurrence::{FieldError, HolidayCalendars, Recurrence, RecurrenceRule};
use crate::store::{Snapshot, StoreError, WriteSet};

/// How long a due episode waits before its predecessor is checked again.
pub const DEFER: Duration = Duration::seconds(30);
pub const MAX_EPISODES: u32 = 1000;

/// A series request as the API parsed it.
#[derive(Debug, Default, Clone)]
pub struct SeriesParts {
    pub name: Option<String>,
    pub template_id: Option<Uuid>,
    pub episode_count: Option<u32>,
    pub schedule_rule: Option<RecurrenceRule>,
    pub job_type: Option<String>,
    pub job_config: Option<Value>,
    pub timezone: Option<Tz>,
    pub priority: Option<Priority>,
    pub failed: std::collections::HashSet<String>,
}

/// A series with its episode schedules, in episode order.
#[derive(Debug)]
pub struct SeriesWithEpisodes {
    pub series: Series,
    pub episodes: Vec<Schedule>,
}

fn recurrence(series: &Series, calendars: &HolidayCalendars) -> Option<Recurrence> {
    Recurrence::new(&series.schedule_rule, series.timezone, calendars).ok()
}

/// A series and its episodes as `prepare_series` checked them, to be written by
/// `create_series`.
#[derive(Debug)]
pub struct NewSeries(SeriesWithEpisodes);

impl Scheduler {
    /// Check a series request and plan its episodes; nothing is written (`create_series`).
    pub async fn prepare_series(
        &self,
        user: UserId,
        parts: SeriesParts,
    ) -> Result<NewSeries, ServiceError> {
        let mut errors = Vec::new();
        let now = self.clock.now();
        if parts.name.is_none() && !parts.failed.contains("name") {
            errors.push(FieldError::new("name", "is required"));
        }
        if parts.episode_count.is_none() && !parts.failed.contains("episode_count") {
            errors.push(FieldError::new("episode_count", "is required"));
        }
        // The schedule checks (plugin config, rule, zone) are those of a recurring schedule.
        let mut failed = parts.failed.clone();
        if failed.remove("schedule_rule") {
            failed.insert("recurrence_rule".into());
        }
        let draft = DraftParts {
            name: parts.name.clone(),
            job_type: parts.job_type.clone(),
            job_config: parts.job_config.clone(),
            schedule_type: Some(ScheduleType::Recurring),
            recurrence_rule: parts.schedule_rule.clone(),
            timezone: parts.timezone,
            priority: parts.priority,
            failed,
            ..DraftParts::default()
        };
        let checked = self.prepare_create(draft).await;
        let draft = match checked {
            Ok(d) => Some(d),
            Err(ServiceError::Invalid(found)) => {
                errors.extend(found.into_iter().map(|mut e| {
                    if let Some(rest) = e.field.strip_prefix("recurrence_rule") {
                        e.field = format!("schedule_rule{rest}");
                    }
                    e
                }));
                None
            }
            Err(e) => return Err(e),
        };
        let (Some(draft), Some(count)) = (draft, parts.episode_count) else {
            return Err(ServiceError::Invalid(errors));
        };
        let ScheduleKind::Recurring { rule } = draft.kind.clone() else {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "schedule_rule",
                "is required",
            )]));
        };
        let slots: Vec<DateTime<Utc>> = Recurrence::new(&rule, draft.timezone, &self.calendars)
            .map(|r| {
                r.iter_from(now)
                    .take(count as usize)
                    .map(|o| o.at)
                    .collect()
            })
            .unwrap_or_default();
        if slots.len() < count as usize {
            errors.push(FieldError::new(
                "schedule_rule",
                format!(
                    "has only {} occurrence(s) left for {count} episodes",
                    slots.len()
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let id = Uuid::now_v7();
        let mut episodes = Vec::with_capacity(slots.len());
        for (i, at) in slots.iter().enumerate() {
            let mut d = draft.clone();
            d.name = format!("{} — Episode {}", draft.name, i + 1);
            d.kind = ScheduleKind::Once { at: *at };
            // A late episode still runs: skipping one would leave a gap.
            d.missed_policy = MissedPolicy::RunAll;
            let mut s = self.build(d, user, now)?;
            s.series_id = Some(id);
            s.episode = Some(i as u32 + 1);
            episodes.push(s);
        }
        let series = Series {
            id,
            user_id: user,
            name: draft.name.clone(),
            template_id: parts.template_id,
            episode_count: count,
            schedule_rule: rule,
            timezone: draft.timezone,
            job_type: draft.job_type.clone(),
            job_config: draft.job_config.clone(),
            current_episode: 1,
            status: SeriesStatus::Active,
            schedule_ids: episodes.iter().map(|s| s.id).collect(),
            created_at: now,
            updated_at: now,
        };
        Ok(NewSeries(SeriesWithEpisodes { series, episodes }))
    }

    /// Write a series `prepare_series` planned, with all its episodes.
    pub async fn create_series(&self, new: NewSeries) -> Result<SeriesWithEpisodes, ServiceError> {
        let SeriesWithEpisodes { series, episodes } = new.0;
        let writes = WriteSet {
            put_schedules: episodes.clone(),
            put_series: vec![series.clone()],
            ..WriteSet::default()
        };
        self.commit(move |_| Ok((writes.clone(), ()))).await?;
        Ok(SeriesWithEpisodes { series, episodes })
    }

    pub async fn get_series(
        &self,
        user: UserId,
        id: SeriesId,
    ) -> Result<SeriesWithEpisodes, ServiceError> {
        let series = self
            .storage
            .series(user, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let mut episodes = Vec::with_capacity(series.schedule_ids.len());
        for sid in &series.schedule_ids {
            if let Some(s) = self.storage.schedule(user, *sid).await? {
                episodes.push(s);
            }
        }
        Ok(SeriesWithEpisodes { series, episodes })
    }

    /// Cancel the series and every episode that has not run; history stays.
    pub async fn cancel_series(
        &self,
        user: UserId,
        id: SeriesId,
    ) -> Result<SeriesWithEpisodes, ServiceError> {
        let now = self.clock.now();
        self.commit(move |snap| {
            let mut series = match snap.series(id)? {
                Some(s) if s.user_id == user => s,
                _ => return Err(ServiceError::NotFound),
            };
            let mut writes = WriteSet::default();
            if !matches!(
                series.status,
                SeriesStatus::Cancelled | SeriesStatus::Completed
            ) {
                series.status = SeriesStatus::Cancelled;
                series.updated_at = now;
                for sid in &series.schedule_ids {
                    if let Some(mut s) = snap.schedule(*sid)?
                        && !s.is_final()
                    {
                        s.cancel(now)?;
                        writes.put_schedules.push(s);
                    }
                }
                writes.put_series.push(series.clone());
            }
            Ok((writes, ()))
        })
        .await?;
        self.get_series(user, id).await
    }
}

/// Called by the claimer before it runs a due schedule: an episode whose predecessor has not
/// completed waits. Returns the instant to look again, or `None` to go ahead.
pub fn claim_gate(
    snap: &dyn Snapshot,
    s: &Schedule,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let (Some(series_id), Some(k)) = (s.series_id, s.episode) else {
        return Ok(None);
    };
    if k <= 1 {
        return Ok(None);
    }
    let Some(series) = snap.series(series_id)? else {
        return Ok(None);
    };
    Ok((series.current_episode < k).then_some(now + DEFER))
}

/// Called with a finished episode execution inside its completion transaction: advance the
/// series on success; on failure run the episode again at the next free occurrence and move the
/// later ones after it. `writes` may already hold changed schedules; they are updated in place.
pub fn on_finished(
    calendars: &HolidayCalendars,
    snap: &dyn Snapshot,
    e: &Execution,
    now: DateTime<Utc>,
    writes: &mut WriteSet,
) -> Result<(), StoreError> {
    let (Some(series_id), Some(k)) = (e.series_id, e.episode) else {
        return Ok(());
    };
    if e.is_manual {
        return Ok(());
    }
    let Some(mut series) = snap.series(series_id)? else {
        return Ok(());
    };
    if series.status != SeriesStatus::Active || k != series.current_episode {
        return Ok(());
    }
    match e.status {
        ExecutionStatus::Completed => {
            series.current_episode = k + 1;
            if series.current_episode > series.episode_count {
                series.status = SeriesStatus::Completed;
            }
        }
        ExecutionStatus::Failed => {
            let Some(r) = recurrence(&series, calendars) else {
                return Ok(());
            };
            let left = (series.episode_count - k + 1) as usize;
            let slots: Vec<DateTime<Utc>> = r.iter_from(now).take(left).map(|o| o.at).collect();
            for (i, at) in slots.into_iter().enumerate() {
                let Some(sid) = series.schedule_ids.get(k as usize - 1 + i).copied() else {
                    break;
                };
                let pos = writes.put_schedules.iter().position(|s| s.id == sid);
                let mut s = match pos {
                    Some(p) => writes.put_schedules.remove(p),
                    None => match snap.schedule(sid)? {
                        Some(s) => s,
                        None => continue,
                    },
                };
                if s.status() == ScheduleStatus::Cancelled {
                    writes.put_schedules.push(s);
                    continue;
                }
                s.replan(at, now);
                writes.put_schedules.push(s);
            }
        }
        _ => return Ok(()),
    }
    series.updated_at = now;
    writes.put_series.push(series);
    Ok(())
}
