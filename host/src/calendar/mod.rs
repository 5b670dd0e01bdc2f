//! Calendar view data: for each local day of a range in one timezone, what ran there (execution
//! history, with its status) and what is planned there (occurrences of the rules, see
//! [`planned`]). Pure: the API fetches schedules and their runs in the range and renders the
//! result.
//!
//! Cost stays bounded by the range, not by what happens in it: past runs are counted per day
//! from the executions index (records are read only for runs a day lists); planned runs are computed
//! only inside the range, and a minutely or hourly rule is counted per day with a division
//! rather than stepped. Items are kept only for views that show them (not month), capped per
//! day; what is still stepped has a per-request budget.

mod gather;
pub mod ics;
pub mod planned;
mod plans;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

pub use self::gather::{Context, MAX_SCHEDULES, gather};
use self::planned::{Span, Zones, ceil_div, planned};
pub use self::plans::{Listed, Plan, Plans};
use crate::model::{ExecutionId, ExecutionStatus, Schedule, ScheduleStatus, SkipReason};
use crate::recurrence::Removal;
use crate::store::WindowRuns;
use crate::timezone::resolve_local;

/// The longest range a request may ask for, in days.
pub const MAX_DAYS: i64 = 366;
/// Items listed per day in day and week views; `total_count` stays exact beyond it.
pub const MAX_ITEMS_PER_DAY: usize = 1000;
/// Occurrences stepped per request, and items listed per request; past either the calendar is
/// marked `truncated`. Arithmetic rules are counted without stepping, so this binds only on
/// filtered sub-daily rules over long ranges.
pub const MAX_STEPS: u64 = 5_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    Day,
    Week,
    Month,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "day" => Some(GroupBy::Day),
            "week" => Some(GroupBy::Week),
            "month" => Some(GroupBy::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
        }
    }

    /// Month view shows counts only, so it never materialises items.
    pub fn lists_items(self) -> bool {
        self != GroupBy::Month
    }
}

/// A checked calendar request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CalendarQuery {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub tz: Tz,
    pub group_by: GroupBy,
    pub include_completed: bool,
    pub include_cancelled: bool,
    pub job_type: Option<String>,
}

impl CalendarQuery {
    /// Whether `s` belongs on this calendar at all.
    pub fn wants(&self, s: &Schedule) -> bool {
        let status_ok = match s.status() {
            ScheduleStatus::Completed => self.include_completed,
            ScheduleStatus::Cancelled => self.include_cancelled,
            _ => true,
        };
        status_ok && self.job_type.as_ref().is_none_or(|j| *j == s.job_type)
    }

    /// The UTC instants at which each local day starts, plus the end of the last one: days of
    /// a zone are 23, 24 or 25 hours long. A midnight inside a gap resolves past the gap.
    pub fn bounds(&self) -> Vec<DateTime<Utc>> {
        let days = (self.end - self.start).num_days() + 1;
        (0..=days)
            .map(|i| {
                let date = self.start + Duration::days(i);
                resolve_local(&self.tz, date.and_hms_opt(0, 0, 0).expect("midnight")).0
            })
            .collect()
    }

    /// Past runs a day may list, per schedule (month view lists none).
    pub fn listed_per_day(&self) -> usize {
        if self.group_by.lists_items() {
            MAX_ITEMS_PER_DAY
        } else {
            0
        }
    }
}

/// What an item is: a run from history, one planned by the rules, or an occurrence of a rule
/// that its exceptions removed or moved (listed with why, never counted as a run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    Past {
        status: ExecutionStatus,
        execution_id: ExecutionId,
        /// Why a skipped run did not run.
        skip_reason: Option<SkipReason>,
    },
    Planned,
    Removed(Removal),
}

#[derive(Debug, Clone)]
pub struct Item {
    pub at: DateTime<Utc>,
    /// Index into [`Calendar::schedules`].
    pub schedule: usize,
    pub kind: ItemKind,
}

#[derive(Debug, Clone)]
pub struct Day {
    pub date: NaiveDate,
    pub total_count: u64,
    /// How many schedules have something that day.
    pub schedule_count: usize,
    /// `(schedule index, items that day)`, in schedule order (empty in month view, which
    /// shows only the count).
    pub schedules: Vec<(usize, u64)>,
    /// The day's first items in time order (empty in month view).
    pub items: Vec<Item>,
    pub truncated: bool,
}

#[derive(Debug, Clone)]
pub struct Calendar {
    pub schedules: Vec<Arc<Schedule>>,
    pub days: Vec<Day>,
    pub total: u64,
    /// The step budget ran out: counts may be short.
    pub truncated: bool,
}

/// Builds a calendar one schedule at a time.
pub struct Builder {
    query: CalendarQuery,
    bounds: Vec<DateTime<Utc>>,
    /// The same as UTC seconds, which is what counting compares.
    bound_secs: Vec<i64>,
    out: Calendar,
    steps_left: u64,
    items_left: u64,
    /// Per-day counts of the schedule being added (reused between schedules).
    per_day: Vec<u64>,
    zones: Zones,
}

impl Builder {
    pub fn new(query: CalendarQuery) -> Self {
        let bounds = query.bounds();
        let days = (0..bounds.len() - 1)
            .map(|i| Day {
                date: query.start + Duration::days(i as i64),
                total_count: 0,
                schedule_count: 0,
                schedules: Vec::new(),
                items: Vec::new(),
                truncated: false,
            })
            .collect();
        let out = Calendar {
            schedules: Vec::new(),
            days,
            total: 0,
            truncated: false,
        };
        let zones = Zones::new(bounds[0], *bounds.last().expect("at least one day"));
        Self {
            zones,
            per_day: vec![0; bounds.len() - 1],
            bound_secs: bounds.iter().map(|b| b.timestamp()).collect(),
            query,
            bounds,
            out,
            steps_left: MAX_STEPS,
            items_left: MAX_STEPS,
        }
    }

    pub fn query(&self) -> &CalendarQuery {
        &self.query
    }

    /// Where each local day starts in UTC, and where the last one ends.
    pub fn bounds(&self) -> &[DateTime<Utc>] {
        &self.bounds
    }

    /// The UTC span of the range: `[first day's start, last day's end)`.
    pub fn range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.bounds[0],
            *self.bounds.last().expect("at least one day"),
        )
    }

    /// Add `s`, with its timing, and its past runs in the range counted per day over
    /// [`Builder::bounds`] (those a day lists come with their status).
    pub fn add(&mut self, s: Arc<Schedule>, plan: &Plan, past: &WindowRuns) {
        if !self.query.wants(&s) {
            return;
        }
        let (lo, hi) = self.range();
        let idx = self.out.schedules.len();
        // In place before its items, so trimming orders them by its priority and id.
        self.out.schedules.push(s);
        self.per_day.fill(0);
        for (n, count) in self.per_day.iter_mut().zip(&past.counts) {
            *n += u64::from(*count);
        }
        let mut days = Days {
            bounds: &self.bound_secs,
            days: &mut self.out.days,
            schedules: &self.out.schedules,
            per_day: &mut self.per_day,
            lists: self.query.group_by.lists_items(),
            schedule: idx,
            items_left: &mut self.items_left,
            truncated: false,
        };
        if days.lists {
            for run in past.listed.iter().filter(|r| r.at >= lo && r.at < hi) {
                let kind = ItemKind::Past {
                    status: run.status,
                    execution_id: run.id,
                    skip_reason: run.skip_reason,
                };
                days.list(days.day_of(run.at), run.at, kind);
            }
        }
        let s = &self.out.schedules[idx];
        let complete = plan.as_deref().is_none_or(|timing| {
            planned(
                s,
                timing,
                &mut self.zones,
                lo,
                hi,
                &mut self.steps_left,
                |span| match span {
                    Span::One(t) => days.one(t, ItemKind::Planned),
                    Span::Every {
                        first,
                        step_secs,
                        n,
                    } => days.every(first, step_secs, n),
                },
            )
        });
        // Why-not items: in the views that list items, and for a schedule that plans runs.
        let mut removed = false;
        if days.lists
            && s.status() == ScheduleStatus::Active
            && let Some(timing) = plan.as_deref()
        {
            for r in timing.removed_between(lo, hi, MAX_ITEMS_PER_DAY) {
                let at = r.occurrence.at;
                days.list(days.day_of(at), at, ItemKind::Removed(r.why));
                removed = true;
            }
        }
        self.out.truncated |= days.truncated || !complete;
        let mut any = removed;
        let lists = self.query.group_by.lists_items();
        for (i, n) in self.per_day.iter().enumerate() {
            if *n > 0 {
                any = true;
                let day = &mut self.out.days[i];
                day.schedule_count += 1;
                if lists {
                    day.schedules.push((idx, *n));
                }
                day.total_count += n;
                self.out.total += n;
            }
        }
        if !any {
            self.out.schedules.pop();
        }
    }

    pub fn finish(mut self) -> Calendar {
        let schedules = &self.out.schedules;
        for day in &mut self.out.days {
            // In id order (creation order), whatever order the schedules were added in.
            day.schedules
                .sort_unstable_by_key(|(i, _)| schedules[*i].id);
            trim(&mut day.items, schedules);
            day.truncated = day.total_count > day.items.len() as u64;
        }
        self.out
    }
}

/// Where one schedule's runs land: per-day counts, and items for the views that list them.
struct Days<'a> {
    /// UTC seconds where each day starts, and where the last one ends.
    bounds: &'a [i64],
    days: &'a mut [Day],
    schedules: &'a [Arc<Schedule>],
    per_day: &'a mut [u64],
    lists: bool,
    schedule: usize,
    /// Items listed per request, at most (with memory, trimming keeps only each day's first).
    items_left: &'a mut u64,
    truncated: bool,
}

impl Days<'_> {
    /// The day holding `at`, which lies inside the range.
    fn day_of(&self, at: DateTime<Utc>) -> usize {
        let at = at.timestamp();
        self.bounds.partition_point(|b| *b <= at) - 1
    }

    fn one(&mut self, at: DateTime<Utc>, kind: ItemKind) {
        let d = self.day_of(at);
        self.per_day[d] += 1;
        if self.lists {
            self.list(d, at, kind);
        }
    }

    fn list(&mut self, d: usize, at: DateTime<Utc>, kind: ItemKind) {
        if *self.items_left == 0 {
            self.truncated = true;
            return;
        }
        *self.items_left -= 1;
        let items = &mut self.days[d].items;
        items.push(Item {
            at,
            schedule: self.schedule,
            kind,
        });
        // Keep memory bounded: trim to the earliest items whenever the buffer doubles.
        if items.len() >= 2 * MAX_ITEMS_PER_DAY {
            trim(items, self.schedules);
        }
    }

    /// `n` runs `step_secs` apart from `first`, inside the range. Few runs (a daily rule's)
    /// are walked with the days; many (a minutely rule's) are counted per day with a division.
    /// A view that lists items gets only each day's first [`MAX_ITEMS_PER_DAY`] of them:
    /// later ones of the same schedule can never be among the day's first.
    fn every(&mut self, first: i64, step_secs: i64, n: u64) {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let origin = first;
        let mut d = self.bounds.partition_point(|b| *b <= first) - 1;
        let days = self.bounds.len() - 1;
        if n <= 2 * days as i64 {
            for k in 0..n {
                let t = origin + k * step_secs;
                while d + 1 < days && self.bounds[d + 1] <= t {
                    d += 1;
                }
                self.per_day[d] += 1;
                if self.lists {
                    let at = DateTime::from_timestamp(t, 0).expect("inside the range");
                    self.list(d, at, ItemKind::Planned);
                }
            }
            return;
        }
        // The index of the first run at or after `b`, within 0..=n.
        let index = |b: i64| ceil_div(b - origin, step_secs).clamp(0, n);
        let mut a = index(self.bounds[d]);
        while d < days && a < n {
            let b = index(self.bounds[d + 1]);
            self.per_day[d] += (b - a) as u64;
            if self.lists {
                let listed = (b - a).min(MAX_ITEMS_PER_DAY as i64);
                for k in a..a + listed {
                    let at = DateTime::from_timestamp(origin + k * step_secs, 0)
                        .expect("between two day bounds");
                    self.list(d, at, ItemKind::Planned);
                }
            }
            (a, d) = (b, d + 1);
        }
    }
}

/// Sort by (time, priority, schedule id) and keep the first `MAX_ITEMS_PER_DAY`.
fn trim(items: &mut Vec<Item>, schedules: &[Arc<Schedule>]) {
    items.sort_by_key(|i| {
        (
            i.at,
            schedules[i.schedule].priority.rank(),
            schedules[i.schedule].id,
        )
    });
    items.truncate(MAX_ITEMS_PER_DAY);
}

/// The Monday starting the week of `date` (weeks start on Monday).
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(date.weekday().num_days_from_monday() as i64)
}
