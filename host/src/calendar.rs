//! Calendar view data: for each local day of a range in one timezone, what ran there (execution
//! history, with its status) and what is planned there (occurrences of the rules from each
//! schedule's `next_run_at`, honouring `max_runs`, pause, `count` and `end_date` through
//! [`Timing`]). Pure: the API fetches schedules and history and renders the result.
//!
//! Cost stays bounded: every occurrence is counted, but item lists are kept only for views that
//! show them (not month) and capped per day; the occurrences stepped per request have a budget.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::model::{Execution, ExecutionId, ExecutionStatus, Schedule, ScheduleStatus};
use crate::recurrence::HolidayCalendars;
use crate::service::timing::Timing;
use crate::timezone::resolve_local;

/// The longest range a request may ask for, in days.
pub const MAX_DAYS: i64 = 366;
/// Items listed per day in day and week views; `total_count` stays exact beyond it.
pub const MAX_ITEMS_PER_DAY: usize = 1000;
/// Occurrences stepped through per request (a minutely schedule over a year is ~527k); past it
/// the calendar is marked `truncated`.
pub const MAX_STEPS: u64 = 5_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone)]
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
        let status_ok = match s.status {
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
}

/// What an item is: a run from history or one planned by the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Past {
        status: ExecutionStatus,
        execution_id: ExecutionId,
    },
    Planned,
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
    /// `(schedule index, items that day)`, in schedule order.
    pub schedules: Vec<(usize, u64)>,
    /// The day's first items in time order (empty in month view).
    pub items: Vec<Item>,
    pub truncated: bool,
}

#[derive(Debug, Clone)]
pub struct Calendar {
    pub schedules: Vec<Schedule>,
    pub days: Vec<Day>,
    pub total: u64,
    /// The step budget ran out: counts may be short.
    pub truncated: bool,
}

/// Builds a calendar one schedule at a time.
pub struct Builder<'a> {
    query: CalendarQuery,
    calendars: &'a HolidayCalendars,
    bounds: Vec<DateTime<Utc>>,
    out: Calendar,
    steps_left: u64,
}

impl<'a> Builder<'a> {
    pub fn new(query: CalendarQuery, calendars: &'a HolidayCalendars) -> Self {
        let bounds = query.bounds();
        let days = (0..bounds.len() - 1)
            .map(|i| Day {
                date: query.start + Duration::days(i as i64),
                total_count: 0,
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
        Self {
            query,
            calendars,
            bounds,
            out,
            steps_left: MAX_STEPS,
        }
    }

    /// The UTC span of the range: `[first day's start, last day's end)`.
    pub fn range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.bounds[0],
            *self.bounds.last().expect("at least one day"),
        )
    }

    /// Add `s` with its history inside [`Builder::range`] (other executions are ignored).
    pub fn add(&mut self, s: Schedule, history: &[Execution]) {
        if !self.query.wants(&s) {
            return;
        }
        let (lo, hi) = self.range();
        let idx = self.out.schedules.len();
        let planned = self.planned(&s);
        // In place before its items, so trimming orders them by its priority and id.
        self.out.schedules.push(s);
        let mut per_day = vec![0u64; self.out.days.len()];
        for e in history
            .iter()
            .filter(|e| e.scheduled_for >= lo && e.scheduled_for < hi)
        {
            let kind = ItemKind::Past {
                status: e.status,
                execution_id: e.id,
            };
            self.place(idx, e.scheduled_for, kind, &mut per_day);
        }
        for t in planned {
            self.place(idx, t, ItemKind::Planned, &mut per_day);
        }
        if per_day.iter().all(|n| *n == 0) {
            self.out.schedules.pop();
            return;
        }
        for (day, n) in self.out.days.iter_mut().zip(per_day) {
            if n > 0 {
                day.schedules.push((idx, n));
            }
        }
    }

    /// The planned runs of `s` inside the range. They start at `next_run_at` (the first run not
    /// yet taken by the executor), so nothing in history is planned twice; `max_runs` counts the
    /// runs before the range too, so only then are those stepped through.
    fn planned(&mut self, s: &Schedule) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        if s.status != ScheduleStatus::Active {
            return out;
        }
        let (Some(first), Ok(timing)) = (s.next_run_at, Timing::of(s, self.calendars)) else {
            return out;
        };
        let (lo, hi) = self.range();
        let mut left = s
            .max_runs
            .map(|m| m.saturating_sub(s.run_count) as u64)
            .unwrap_or(u64::MAX);
        let mut cursor = Some(first);
        if s.max_runs.is_none() && first < lo {
            cursor = timing.next_from(lo);
        }
        while let Some(t) = cursor {
            if t >= hi || left == 0 {
                break;
            }
            if self.steps_left == 0 {
                self.out.truncated = true;
                break;
            }
            self.steps_left -= 1;
            left -= 1;
            if t >= lo {
                out.push(t);
            }
            cursor = timing.next_after(t);
        }
        out
    }

    fn place(&mut self, schedule: usize, at: DateTime<Utc>, kind: ItemKind, per_day: &mut [u64]) {
        let d = self.bounds.partition_point(|b| *b <= at) - 1;
        per_day[d] += 1;
        self.out.total += 1;
        let day = &mut self.out.days[d];
        day.total_count += 1;
        if self.query.group_by.lists_items() {
            day.items.push(Item { at, schedule, kind });
            // Keep memory bounded: trim to the earliest items whenever the buffer doubles.
            if day.items.len() >= 2 * MAX_ITEMS_PER_DAY {
                trim(&mut day.items, &self.out.schedules);
            }
        }
    }

    pub fn finish(mut self) -> Calendar {
        for day in &mut self.out.days {
            trim(&mut day.items, &self.out.schedules);
            day.truncated = day.total_count > day.items.len() as u64;
        }
        self.out
    }
}

/// Sort by (time, priority, schedule id) and keep the first `MAX_ITEMS_PER_DAY`.
fn trim(items: &mut Vec<Item>, schedules: &[Schedule]) {
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::{Priority, ScheduleType};
    use crate::recurrence::{Frequency, RecurrenceRule, TimeOfDay};

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn hourly(tz: &str, freq: Frequency, start: &str) -> Schedule {
        let mut rule = RecurrenceRule::new(freq, TimeOfDay::new(0, 0).unwrap());
        rule.start_date = Some(date(start));
        let mut s = Schedule {
            id: uuid::Uuid::now_v7(),
            user_id: uuid::Uuid::nil(),
            name: "s".into(),
            description: None,
            job_type: "export".into(),
            job_config: serde_json::json!({}),
            schedule_type: ScheduleType::Recurring,
            scheduled_at: None,
            recurrence_rule: Some(rule),
            timezone: tz.into(),
            status: ScheduleStatus::Active,
            priority: Priority::Normal,
            next_run_at: None,
            last_run_at: None,
            run_count: 0,
            max_runs: None,
            missed_policy: Default::default(),
            overlap_policy: Default::default(),
            series_id: None,
            episode: None,
            paused_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            revision: 1,
            stats: Default::default(),
        };
        let cals = HolidayCalendars::builtin();
        s.next_run_at = Timing::of(&s, &cals)
            .unwrap()
            .next_from(Utc.timestamp_opt(0, 0).unwrap());
        s
    }

    fn query(start: &str, end: &str, tz: Tz, group_by: GroupBy) -> CalendarQuery {
        CalendarQuery {
            start: date(start),
            end: date(end),
            tz,
            group_by,
            include_completed: false,
            include_cancelled: false,
            job_type: None,
        }
    }

    fn counts(c: &Calendar) -> Vec<u64> {
        c.days.iter().map(|d| d.total_count).collect()
    }

    #[test]
    fn berlin_days_have_23_and_25_hours() {
        let cals = HolidayCalendars::builtin();
        let tz = chrono_tz::Europe::Berlin;
        let mut b = Builder::new(query("2027-03-27", "2027-03-29", tz, GroupBy::Day), &cals);
        b.add(
            hourly("Europe/Berlin", Frequency::Hourly, "2027-03-01"),
            &[],
        );
        let c = b.finish();
        assert_eq!(counts(&c), [24, 23, 24]);
        // 01:00 local is 00:00Z, then 03:00 CEST is 01:00Z: the gap hour does not exist.
        let spring = &c.days[1].items;
        assert_eq!(
            spring[1].at,
            Utc.with_ymd_and_hms(2027, 3, 28, 0, 0, 0).unwrap()
        );
        assert_eq!(
            spring[2].at,
            Utc.with_ymd_and_hms(2027, 3, 28, 1, 0, 0).unwrap()
        );
        let mut b = Builder::new(query("2027-10-30", "2027-11-01", tz, GroupBy::Day), &cals);
        b.add(
            hourly("Europe/Berlin", Frequency::Hourly, "2027-03-01"),
            &[],
        );
        assert_eq!(counts(&b.finish()), [24, 25, 24]);
    }

    #[test]
    fn month_view_counts_a_minutely_schedule_without_items() {
        let cals = HolidayCalendars::builtin();
        let mut b = Builder::new(
            query("2027-02-01", "2027-02-28", chrono_tz::UTC, GroupBy::Month),
            &cals,
        );
        b.add(hourly("UTC", Frequency::Minutely, "2027-01-01"), &[]);
        let c = b.finish();
        assert!(
            c.days
                .iter()
                .all(|d| d.total_count == 1440 && d.items.is_empty())
        );
        assert_eq!(c.total, 1440 * 28);
        assert_eq!(c.days[0].schedules, [(0, 1440)]);
    }

    #[test]
    fn day_view_caps_items_and_flags_truncation() {
        let cals = HolidayCalendars::builtin();
        let mut b = Builder::new(
            query("2027-02-01", "2027-02-01", chrono_tz::UTC, GroupBy::Day),
            &cals,
        );
        b.add(hourly("UTC", Frequency::Minutely, "2027-01-01"), &[]);
        let c = b.finish();
        assert_eq!(c.days[0].total_count, 1440);
        assert_eq!(c.days[0].items.len(), MAX_ITEMS_PER_DAY);
        assert!(c.days[0].truncated);
        assert_eq!(
            c.days[0].items[999].at,
            Utc.with_ymd_and_hms(2027, 2, 1, 16, 39, 0).unwrap()
        );
    }

    #[test]
    fn max_runs_pause_and_status_filters() {
        let cals = HolidayCalendars::builtin();
        let q = query("2027-01-02", "2027-01-03", chrono_tz::UTC, GroupBy::Day);
        // 24 runs on 1 January use up a budget of 30 before the range: 6 are left.
        let mut s = hourly("UTC", Frequency::Hourly, "2027-01-01");
        s.max_runs = Some(30);
        let mut b = Builder::new(q.clone(), &cals);
        b.add(s.clone(), &[]);
        assert_eq!(counts(&b.finish()), [6, 0]);
        let mut paused = s.clone();
        paused.status = ScheduleStatus::Paused;
        let mut b = Builder::new(q.clone(), &cals);
        b.add(paused, &[]);
        let c = b.finish();
        assert!(c.schedules.is_empty() && c.total == 0);
        // A completed schedule shows its history only when asked.
        let mut done = s.clone();
        done.status = ScheduleStatus::Completed;
        let run = crate::service::new_execution(
            &done,
            Utc.with_ymd_and_hms(2027, 1, 3, 5, 0, 0).unwrap(),
            Utc::now(),
            false,
            true,
        );
        let mut b = Builder::new(q.clone(), &cals);
        b.add(done.clone(), std::slice::from_ref(&run));
        assert_eq!(b.finish().total, 0);
        let mut b = Builder::new(
            CalendarQuery {
                include_completed: true,
                ..q
            },
            &cals,
        );
        b.add(done, std::slice::from_ref(&run));
        let c = b.finish();
        assert_eq!(counts(&c), [0, 1]);
        assert_eq!(
            c.days[1].items[0].kind,
            ItemKind::Past {
                status: ExecutionStatus::Pending,
                execution_id: run.id
            }
        );
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_start(date("2027-03-28")), date("2027-03-22"));
        assert_eq!(week_start(date("2027-03-29")), date("2027-03-29"));
    }
}
