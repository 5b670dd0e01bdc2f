//! A reference model of schedules' lifecycles for the property test in `lifecycle`: plain
//! structs and arithmetic on UTC instants, no store and no recurrence engine, written from the
//! rules as ARCHITECTURE.md and the service's doc comments state them. Rules are only those the
//! arithmetic makes obvious: hourly every 1, 2, 3, 4 or 6 hours from midnight of the start
//! date, and daily at a few hours, in UTC.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::support::{date, utc};
use crate::model::{
    ExecutionStatus, MissedPolicy, OverlapPolicy, Priority, ScheduleStatus, SkipReason,
    StatusAction,
};
use crate::service::{CATCH_UP_LIMIT, MAX_SKIPPED_RECORDS};

/// When a model schedule runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Timing {
    Once(DateTime<Utc>),
    /// At `minute` past every `every`-th hour counted from 00:00 UTC of `start`.
    Hourly {
        start: NaiveDate,
        every: i64,
        minute: u32,
    },
    /// Each day from `start` at each of `hours` (ascending), at `minute`.
    Daily {
        start: NaiveDate,
        hours: Vec<u32>,
        minute: u32,
    },
}

impl Timing {
    /// The first occurrence strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Timing::Once(at) => (*at > t).then_some(*at),
            Timing::Hourly {
                start,
                every,
                minute,
            } => {
                let anchor = start.and_hms_opt(0, *minute, 0)?.and_utc();
                if t < anchor {
                    return Some(anchor);
                }
                let step = Duration::hours(*every);
                let k = (t - anchor).num_seconds() / step.num_seconds();
                Some(anchor + step * (k as i32 + 1))
            }
            Timing::Daily {
                start,
                hours,
                minute,
            } => {
                let mut day = (*start).max(t.date_naive());
                loop {
                    for h in hours {
                        let at = day.and_hms_opt(*h, *minute, 0)?.and_utc();
                        if at > t {
                            return Some(at);
                        }
                    }
                    day = day.succ_opt()?;
                }
            }
        }
    }

    /// The occurrences in `[from, to]` (for a once schedule: its one instant), at most
    /// `CATCH_UP_LIMIT + MAX_SKIPPED_RECORDS`.
    fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        if let Timing::Once(at) = self {
            return vec![*at];
        }
        let mut out = Vec::new();
        let mut cursor = self.next_after(from - Duration::seconds(1));
        while let Some(t) = cursor.filter(|t| *t <= to) {
            if out.len() == CATCH_UP_LIMIT + MAX_SKIPPED_RECORDS {
                break;
            }
            out.push(t);
            cursor = self.next_after(t);
        }
        out
    }
}

/// One execution as the test compares it: when, status, manual, counting, why skipped.
pub type Run = (
    DateTime<Utc>,
    ExecutionStatus,
    bool,
    bool,
    Option<SkipReason>,
);

/// What the service is expected to answer for a refused operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotFound,
    Conflict(ScheduleStatus, StatusAction),
    Final(ScheduleStatus, &'static str),
    Invalid,
}

/// The model of one schedule.
#[derive(Debug, Clone)]
pub struct Model {
    pub timing: Timing,
    pub status: ScheduleStatus,
    pub next_run_at: Option<DateTime<Utc>>,
    pub run_count: u32,
    pub last_run_at: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    pub max_runs: Option<u32>,
    pub missed: MissedPolicy,
    pub overlap: OverlapPolicy,
    pub priority: Priority,
    pub skipped: u32,
    pub revision: u64,
    pub updated_at: DateTime<Utc>,
    pub runs: Vec<Run>,
}

impl Model {
    /// A new active schedule created at `now`.
    pub fn new(
        timing: Timing,
        now: DateTime<Utc>,
        max_runs: Option<u32>,
        missed: MissedPolicy,
        overlap: OverlapPolicy,
        priority: Priority,
    ) -> Model {
        let first = match &timing {
            Timing::Once(at) => Some(*at),
            t => t.next_after(now),
        };
        Model {
            timing,
            status: ScheduleStatus::Active,
            next_run_at: first,
            run_count: 0,
            last_run_at: None,
            paused_at: None,
            max_runs,
            missed,
            overlap,
            priority,
            skipped: 0,
            revision: 1,
            updated_at: now,
            runs: Vec::new(),
        }
    }

    fn is_final(&self) -> bool {
        matches!(
            self.status,
            ScheduleStatus::Completed | ScheduleStatus::Cancelled
        )
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.revision += 1;
        self.updated_at = now;
    }

    fn runs_left(&self) -> Option<u32> {
        self.max_runs.map(|m| m.saturating_sub(self.run_count))
    }

    /// Waits for `next`, or is completed when nothing is left to run.
    fn settle(&mut self, next: Option<DateTime<Utc>>) {
        self.next_run_at = next;
        if next.is_none() || self.runs_left() == Some(0) {
            self.status = ScheduleStatus::Completed;
            self.next_run_at = None;
            self.paused_at = None;
        }
    }

    fn run(&mut self, at: DateTime<Utc>) {
        self.runs
            .push((at, ExecutionStatus::Pending, false, true, None));
        self.run_count += 1;
        self.last_run_at = Some(at);
    }

    fn skip(&mut self, at: DateTime<Utc>, why: SkipReason) {
        self.runs
            .push((at, ExecutionStatus::Skipped, false, false, Some(why)));
        self.skipped += 1;
    }

    fn refuse(&self, action: StatusAction) -> Refusal {
        Refusal::Conflict(self.status, action)
    }

    pub fn pause(&mut self, now: DateTime<Utc>) -> Result<(), Refusal> {
        if self.status != ScheduleStatus::Active {
            return Err(self.refuse(StatusAction::Pause));
        }
        self.status = ScheduleStatus::Paused;
        self.paused_at = Some(now);
        self.touch(now);
        Ok(())
    }

    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<(), Refusal> {
        if self.is_final() {
            return Err(self.refuse(StatusAction::Cancel));
        }
        self.status = ScheduleStatus::Cancelled;
        self.next_run_at = None;
        self.paused_at = None;
        self.touch(now);
        Ok(())
    }

    /// Active again; what fell due more than `grace` ago is handled by the missed policy.
    pub fn resume(
        &mut self,
        now: DateTime<Utc>,
        grace: Duration,
        run_immediately: bool,
    ) -> Result<(), Refusal> {
        if self.status != ScheduleStatus::Paused {
            return Err(self.refuse(StatusAction::Resume));
        }
        self.status = ScheduleStatus::Active;
        self.paused_at = None;
        self.touch(now);
        self.catch_up(now - grace, SkipReason::Paused);
        if run_immediately && self.status == ScheduleStatus::Active {
            self.runs
                .push((now, ExecutionStatus::Pending, true, false, None));
        }
        Ok(())
    }

    /// The occurrences from `next_run_at` up to `until`, per the missed policy; then wait
    /// for the first one after `until`.
    fn catch_up(&mut self, until: DateTime<Utc>, why: SkipReason) {
        let Some(first) = self.next_run_at.filter(|f| *f <= until) else {
            return;
        };
        let mut missed = self.timing.between(first, until);
        let run: Vec<_> = match self.missed {
            MissedPolicy::Skip => Vec::new(),
            MissedPolicy::RunLatest => missed.pop().into_iter().collect(),
            MissedPolicy::RunAll => missed.drain(..missed.len().min(CATCH_UP_LIMIT)).collect(),
        };
        for at in missed {
            self.skip(at, why);
        }
        let budget = self.runs_left().unwrap_or(u32::MAX) as usize;
        for at in run.into_iter().take(budget) {
            self.run(at);
        }
        let next = self.timing.next_after(until);
        self.settle(next);
    }

    pub fn run_now(&mut self, now: DateTime<Utc>, counts: bool) -> Result<(), Refusal> {
        if self.is_final() {
            return Err(Refusal::Final(self.status, "run"));
        }
        self.runs
            .push((now, ExecutionStatus::Pending, true, counts, None));
        if counts {
            self.run_count += 1;
            self.last_run_at = Some(now);
            self.settle(self.next_run_at);
            self.touch(now);
        }
        Ok(())
    }

    /// An update that changes the timing to `timing` (a new rule or instant), which must be
    /// of the same kind.
    pub fn retime(&mut self, now: DateTime<Utc>, timing: Timing) -> Result<(), Refusal> {
        if self.is_final() {
            return Err(Refusal::Final(self.status, "update"));
        }
        if matches!(self.timing, Timing::Once(_)) != matches!(timing, Timing::Once(_)) {
            return Err(Refusal::Invalid);
        }
        self.next_run_at = match &timing {
            Timing::Once(at) => Some(*at),
            t => t.next_after(now),
        };
        self.timing = timing;
        self.settle(self.next_run_at);
        self.touch(now);
        Ok(())
    }

    pub fn set_priority(&mut self, now: DateTime<Utc>, p: Priority) -> Result<(), Refusal> {
        if self.is_final() {
            return Err(Refusal::Final(self.status, "update"));
        }
        self.priority = p;
        self.touch(now);
        Ok(())
    }

    pub fn set_max_runs(&mut self, now: DateTime<Utc>, n: u32) -> Result<(), Refusal> {
        if self.is_final() {
            return Err(Refusal::Final(self.status, "update"));
        }
        self.max_runs = Some(n);
        self.settle(self.next_run_at);
        self.touch(now);
        Ok(())
    }

    /// A copy as a new active schedule created at `now`; a once schedule's time must not be
    /// more than a minute past.
    pub fn cloned(&self, now: DateTime<Utc>) -> Result<Model, Refusal> {
        if let Timing::Once(at) = self.timing
            && at < now - Duration::seconds(60)
        {
            return Err(Refusal::Invalid);
        }
        Ok(Model::new(
            self.timing.clone(),
            now,
            self.max_runs,
            self.missed,
            self.overlap,
            self.priority,
        ))
    }

    /// What the dispatcher does to the pending executions, as far as the test looks: they end,
    /// completed (the counters of finished runs are not modelled).
    pub fn finish(&mut self) {
        for r in &mut self.runs {
            if r.1 == ExecutionStatus::Pending {
                r.1 = ExecutionStatus::Completed;
            }
        }
    }

    /// What the claimer does to this schedule at `now` if it is due; returns whether it was.
    pub fn claim(&mut self, now: DateTime<Utc>, grace: Duration) -> bool {
        let Some(at) = self.next_run_at.filter(|at| *at <= now) else {
            return false;
        };
        if self.status != ScheduleStatus::Active {
            return false;
        }
        // The overlap check reads the store as it was before this claim: runs a catch-up makes
        // in the same claim do not make the on-time run overlap. That is the service's rule
        // today (claim.rs `advance` asks the snapshot); whether it should be is an open question.
        let busy = self
            .runs
            .iter()
            .any(|r| r.1 == ExecutionStatus::Pending && !r.2);
        if now - at > grace {
            self.catch_up(now - grace, SkipReason::Missed);
            if let Some(next) = self.next_run_at
                && next <= now
                && self.status == ScheduleStatus::Active
            {
                self.advance(next, busy);
            }
        } else {
            self.advance(at, busy);
        }
        self.touch(now);
        true
    }

    /// The on-time run at `at`; `busy`: an earlier automatic run is still pending (nothing
    /// runs executions in the test; they stay pending until `finish`).
    fn advance(&mut self, at: DateTime<Utc>, busy: bool) {
        if busy && self.overlap == OverlapPolicy::Skip {
            self.skip(at, SkipReason::Overlap);
        } else {
            self.run(at);
        }
        let next = self.timing.next_after(at);
        self.settle(next);
    }
}

#[test]
fn the_models_own_arithmetic() {
    let hourly = Timing::Hourly {
        start: date(2026, 3, 2),
        every: 3,
        minute: 15,
    };
    assert_eq!(
        hourly.next_after(utc(2026, 3, 1, 0, 0)),
        Some(utc(2026, 3, 2, 0, 15))
    );
    assert_eq!(
        hourly.next_after(utc(2026, 3, 2, 3, 15)),
        Some(utc(2026, 3, 2, 6, 15))
    );
    assert_eq!(
        hourly.next_after(utc(2026, 3, 2, 23, 59)),
        Some(utc(2026, 3, 3, 0, 15))
    );
    let daily = Timing::Daily {
        start: date(2026, 3, 2),
        hours: vec![9, 17],
        minute: 30,
    };
    assert_eq!(
        daily.next_after(utc(2026, 3, 2, 9, 30)),
        Some(utc(2026, 3, 2, 17, 30))
    );
    assert_eq!(
        daily.between(utc(2026, 3, 2, 17, 30), utc(2026, 3, 3, 17, 30)),
        [
            utc(2026, 3, 2, 17, 30),
            utc(2026, 3, 3, 9, 30),
            utc(2026, 3, 3, 17, 30)
        ]
    );
}
