//! Gathering a calendar from storage, as the API serves it: a page of the user's schedules,
//! then one index read of the page's runs in the range, then the page's computation on a
//! blocking thread (milliseconds of CPU for a large page stay off the async workers).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Builder, Calendar, CalendarQuery, Plans};
use crate::model::UserId;
use crate::recurrence::HolidayCalendars;
use crate::store::{ScheduleFilter, Storage, StoreError};

/// Schedules considered per request, at most, so the cost stays bounded.
pub const MAX_SCHEDULES: usize = 10_000;
/// Schedules read per page.
const PAGE: usize = 1000;

pub async fn gather(
    storage: &dyn Storage,
    user: UserId,
    query: CalendarQuery,
    plans: &Plans,
    calendars: &HolidayCalendars,
) -> Result<Calendar, StoreError> {
    let filter = ScheduleFilter {
        job_type: query.job_type.clone(),
        ..ScheduleFilter::default()
    };
    let listed_per_day = query.listed_per_day();
    let mut builder = Builder::new(query);
    let bounds: Arc<[DateTime<Utc>]> = builder.bounds().into();
    let mut after = None;
    let mut seen = 0;
    while seen < MAX_SCHEDULES {
        let page = storage
            .list_schedules_shared(user, filter.clone(), after, PAGE)
            .await?;
        seen += page.len();
        let done = page.len() < PAGE;
        after = page.last().map(|s| s.id);
        let page: Vec<_> = page
            .into_iter()
            .filter(|s| builder.query().wants(s))
            .collect();
        // The page's runs in the range, counted per day from the index; records are read
        // only for the runs a day may list. A minutely schedule's month is ~40,000 keys, so
        // the page is read in two halves at once (two cores when they are free).
        let ids: Vec<_> = page.iter().map(|s| s.id).collect();
        let (first, second) = ids.split_at(ids.len() / 2);
        let (first, second) = tokio::join!(
            storage.runs_in_window(first.to_vec(), bounds.clone(), listed_per_day),
            storage.runs_in_window(second.to_vec(), bounds.clone(), listed_per_day),
        );
        let mut runs = first?;
        runs.extend(second?);
        let timings = plans.of(&page, calendars);
        builder = tokio::task::spawn_blocking(move || {
            for ((s, runs), plan) in page.into_iter().zip(runs).zip(timings) {
                builder.add(s, &plan, &runs);
            }
            builder
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?;
        if done {
            break;
        }
    }
    Ok(builder.finish())
}
