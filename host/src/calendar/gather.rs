//! Gathering a calendar from storage, as the API serves it: the user's schedules (kept
//! between requests while their data is unchanged, see `plans`), then per page of them one
//! index read of their runs in the range and the page's computation on a blocking thread
//! (milliseconds of CPU for a large page stay off the async workers).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::plans::UserList;
use super::{Builder, Calendar, CalendarQuery, Plans};
use crate::model::UserId;
use crate::recurrence::HolidayCalendars;
use crate::store::{ScheduleFilter, Storage, StoreError};

/// Schedules considered per request, at most, so the cost stays bounded.
pub const MAX_SCHEDULES: usize = 10_000;
/// Schedules read per page.
const PAGE: usize = 1000;

/// The calendar of `user` for `query`. `version` is the user's data version, read before
/// anything else (a kept list of schedules is used only at that version).
pub async fn gather(
    storage: &dyn Storage,
    user: UserId,
    version: u64,
    query: CalendarQuery,
    plans: &Plans,
    calendars: &HolidayCalendars,
) -> Result<Calendar, StoreError> {
    let list = match plans.user_list(user, version) {
        Some(list) => list,
        None => {
            let list = read_list(storage, user, plans, calendars).await?;
            plans.keep_user_list(user, version, list.clone());
            list
        }
    };
    let listed_per_day = query.listed_per_day();
    let mut builder = Builder::new(query);
    let bounds: Arc<[DateTime<Utc>]> = builder.bounds().into();
    for chunk in list.chunks(PAGE) {
        let page: Vec<_> = chunk
            .iter()
            .filter(|(s, _)| builder.query().wants(s))
            .cloned()
            .collect();
        // The page's runs in the range, counted per day from the index; records are read
        // only for the runs a day may list. A minutely schedule's month is ~40,000 keys, so
        // the page is read in two halves at once (two cores when they are free).
        let ids: Vec<_> = page.iter().map(|(s, _)| s.id).collect();
        let (first, second) = ids.split_at(ids.len() / 2);
        let (first, second) = tokio::join!(
            storage.runs_in_window(first.to_vec(), bounds.clone(), listed_per_day),
            storage.runs_in_window(second.to_vec(), bounds.clone(), listed_per_day),
        );
        let mut runs = first?;
        runs.extend(second?);
        builder = tokio::task::spawn_blocking(move || {
            for ((s, plan), runs) in page.into_iter().zip(runs) {
                builder.add(s, &plan, &runs);
            }
            builder
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?;
    }
    Ok(builder.finish())
}

/// The user's first [`MAX_SCHEDULES`] schedules with their timings, read page by page.
async fn read_list(
    storage: &dyn Storage,
    user: UserId,
    plans: &Plans,
    calendars: &HolidayCalendars,
) -> Result<UserList, StoreError> {
    let mut out = Vec::new();
    let mut after = None;
    while out.len() < MAX_SCHEDULES {
        let page = storage
            .list_schedules_shared(user, ScheduleFilter::default(), after, PAGE)
            .await?;
        let done = page.len() < PAGE;
        after = page.last().map(|s| s.id);
        let timings = plans.of(&page, calendars);
        out.extend(page.into_iter().zip(timings));
        if done {
            break;
        }
    }
    Ok(out.into())
}
