//! Gathering a calendar from storage, as the API serves it: the user's schedules (kept
//! between requests while their data is unchanged, see `plans`), then per page of them one
//! index read of their runs in the range and the page's computation: schedules that cost a
//! few operations per day in slices between yields, those that are stepped occurrence by
//! occurrence on a blocking thread (milliseconds of CPU stay off the async workers).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use super::plans::UserList;
use super::{Builder, Calendar, CalendarQuery, Listed, Plans};
use crate::model::{ScheduleId, UserId};
use crate::recurrence::HolidayCalendars;
use crate::store::{ScheduleFilter, Storage, StoreError, WindowRuns};

/// Schedules considered per request, at most, so the cost stays bounded.
pub const MAX_SCHEDULES: usize = 10_000;
/// Schedules read per page.
const PAGE: usize = 1000;
/// Schedules whose runs are read in two halves at once, at least.
const SPLIT_RUNS: usize = 256;
/// Work on light schedules between two yields to the runtime, at most (plus 16 schedules').
const LIGHT_SLICE: Duration = Duration::from_micros(100);

/// What computing calendars keeps across requests: the users' schedules and timings, and a
/// gate that lets two computations per core run at once, first come first served (two, so
/// a core has work while the other waits for its index read). Without it 64 computations on
/// 2 cores all ran at once, each taking 32 times as long, and the OS shared the cores
/// without regard to arrival: the last were served far later than the first.
pub struct Context {
    pub plans: Plans,
    gate: Semaphore,
}

impl Default for Context {
    fn default() -> Context {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Context {
            plans: Plans::default(),
            gate: Semaphore::new(2 * cores),
        }
    }
}

/// The calendar of `user` for `query`. `version` is the user's data version, read before
/// anything else (a kept list of schedules is used only at that version).
pub async fn gather(
    storage: &dyn Storage,
    user: UserId,
    version: u64,
    query: CalendarQuery,
    cx: &Context,
    calendars: &HolidayCalendars,
) -> Result<Calendar, StoreError> {
    // The semaphore is never closed.
    let _turn = cx.gate.acquire().await.ok();
    let plans = &cx.plans;
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
    let (lo, hi) = builder.range();
    let meets = |l: &Listed| l.runs.is_some_and(|(first, last)| first < hi && last >= lo);
    for chunk in list.chunks(PAGE) {
        let page: Vec<&Listed> = chunk
            .iter()
            .filter(|l| builder.query().wants(&l.schedule))
            .collect();
        // The runs in the range of the page's schedules whose history meets it, counted per
        // day from the index; records are read only for the runs a day may list.
        let ids: Vec<_> = page
            .iter()
            .filter(|l| meets(l))
            .map(|l| l.schedule.id)
            .collect();
        let mut read = read_runs(storage, ids, &bounds, listed_per_day)
            .await?
            .into_iter();
        let mut light = Vec::with_capacity(page.len());
        let mut heavy = Vec::new();
        for l in page {
            let runs = if meets(l) {
                read.next().unwrap_or_default()
            } else {
                WindowRuns::default()
            };
            if l.plan.as_ref().is_none_or(|p| p.is_light(&l.schedule)) {
                light.push((l, runs));
            } else {
                heavy.push((l.clone(), runs));
            }
        }
        // Light schedules are added here, a slice at a time between yields; handing them to a
        // blocking thread cost more than adding them (a third of a computed month). Heavy
        // ones, whose steps could hold this worker for milliseconds, go to one.
        let mut slice = Instant::now();
        for (i, (l, runs)) in light.into_iter().enumerate() {
            builder.add(l.schedule.clone(), &l.plan, &runs);
            // Reading the clock costs as much as adding a schedule: every 16th is enough.
            if i % 16 == 15 && slice.elapsed() >= LIGHT_SLICE {
                tokio::task::yield_now().await;
                slice = Instant::now();
            }
        }
        if !heavy.is_empty() {
            builder = tokio::task::spawn_blocking(move || {
                for (l, runs) in heavy {
                    builder.add(l.schedule, &l.plan, &runs);
                }
                builder
            })
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?;
        }
    }
    Ok(builder.finish())
}

/// The runs in the window of `ids`. A schedule with a long history may have ~40,000 keys in a
/// month, so many schedules are read in two halves at once (two cores when they are free).
async fn read_runs(
    storage: &dyn Storage,
    ids: Vec<ScheduleId>,
    bounds: &Arc<[DateTime<Utc>]>,
    listed_per_day: usize,
) -> Result<Vec<WindowRuns>, StoreError> {
    if ids.len() < SPLIT_RUNS {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        return storage
            .runs_in_window(ids, bounds.clone(), listed_per_day)
            .await;
    }
    let (first, second) = ids.split_at(ids.len() / 2);
    let (first, second) = tokio::join!(
        storage.runs_in_window(first.to_vec(), bounds.clone(), listed_per_day),
        storage.runs_in_window(second.to_vec(), bounds.clone(), listed_per_day),
    );
    let mut runs = first?;
    runs.extend(second?);
    Ok(runs)
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
        let extents = storage
            .run_extents(page.iter().map(|s| s.id).collect())
            .await?;
        out.extend(
            page.into_iter()
                .zip(timings)
                .zip(extents)
                .map(|((schedule, plan), runs)| Listed {
                    schedule,
                    plan,
                    runs,
                }),
        );
        if done {
            break;
        }
    }
    Ok(out.into())
}
