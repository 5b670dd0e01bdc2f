//! A schedule and its lifecycle. The lifecycle fields (`status`, `next_run_at`, `paused_at`,
//! `run_count`, `last_run_at`, `updated_at`, `revision`) are a `Lifecycle` whose fields are
//! private to the model: code elsewhere reads them through getters and changes them only
//! through the methods here, so "is it finished?", cancel, the revision bump and the
//! completion rule each exist once and the compiler holds everyone else to them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use uuid::Uuid;

use super::{
    MissedPolicy, OverlapPolicy, Priority, RunStats, ScheduleId, ScheduleStatus, ScheduleType,
    SeriesId, SeriesStatus, StatusAction, TransitionError, UserId,
};
use crate::recurrence::RecurrenceRule;

/// When a schedule runs: once at an instant, or on a rule in the schedule's zone. One enum, so
/// a once schedule without its instant or a recurring one without its rule cannot exist.
// Most schedules are recurring, so the rule inline costs little space and saves an allocation
// per decoded schedule (decoding is on the claim's and the calendar's hot paths).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ScheduleKind {
    Once { at: DateTime<Utc> },
    Recurring { rule: RecurrenceRule },
}

/// Where a schedule is in its life: its status, its next run, its runs so far and its write
/// stamp. The fields are private to the model, so they change only through `Schedule`'s
/// methods (a store restores a whole saved one with `Lifecycle::restore`).
#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    pub(super) status: ScheduleStatus,
    pub(super) next_run_at: Option<DateTime<Utc>>,
    /// When the schedule was paused, so resume can account for what fell due meanwhile.
    pub(super) paused_at: Option<DateTime<Utc>>,
    pub(super) run_count: u32,
    pub(super) last_run_at: Option<DateTime<Utc>>,
    pub(super) updated_at: DateTime<Utc>,
    /// Monotonic per-schedule sequence, bumped by every write; creation order ties are broken
    /// by `id` (UUIDv7).
    pub(super) revision: u64,
}

impl Lifecycle {
    /// A schedule written for the first time at `now`: active, nothing run, revision 1, its
    /// next run still to be settled.
    pub fn new(now: DateTime<Utc>) -> Self {
        Lifecycle {
            status: ScheduleStatus::Active,
            next_run_at: None,
            paused_at: None,
            run_count: 0,
            last_run_at: None,
            updated_at: now,
            revision: 1,
        }
    }

    /// A lifecycle as it was saved, read back by a store.
    pub fn restore(
        status: ScheduleStatus,
        next_run_at: Option<DateTime<Utc>>,
        paused_at: Option<DateTime<Utc>>,
        run_count: u32,
        last_run_at: Option<DateTime<Utc>>,
        updated_at: DateTime<Utc>,
        revision: u64,
    ) -> Self {
        Lifecycle {
            status,
            next_run_at,
            paused_at,
            run_count,
            last_run_at,
            updated_at,
            revision,
        }
    }
}

/// A stored schedule: its definition, public, and its `Lifecycle`, read through the getters
/// and changed only by the methods below. `next_run_at` is `Some` exactly when the schedule
/// is active or paused and has an occurrence left.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub id: ScheduleId,
    pub user_id: UserId,
    pub name: String,
    pub description: Option<String>,
    pub job_type: String,
    pub job_config: Value,
    pub kind: ScheduleKind,
    pub timezone: Tz,
    pub priority: Priority,
    pub max_runs: Option<u32>,
    pub missed_policy: MissedPolicy,
    pub overlap_policy: OverlapPolicy,
    pub series_id: Option<SeriesId>,
    pub episode: Option<u32>,
    pub created_at: DateTime<Utc>,
    /// Outcomes of finished runs, kept with the schedule so reading it needs no history scan.
    pub stats: RunStats,
    pub life: Lifecycle,
}

impl Schedule {
    pub fn status(&self) -> ScheduleStatus {
        self.life.status
    }

    pub fn next_run_at(&self) -> Option<DateTime<Utc>> {
        self.life.next_run_at
    }

    pub fn paused_at(&self) -> Option<DateTime<Utc>> {
        self.life.paused_at
    }

    pub fn run_count(&self) -> u32 {
        self.life.run_count
    }

    pub fn last_run_at(&self) -> Option<DateTime<Utc>> {
        self.life.last_run_at
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        self.life.updated_at
    }

    pub fn revision(&self) -> u64 {
        self.life.revision
    }

    pub fn schedule_type(&self) -> ScheduleType {
        match self.kind {
            ScheduleKind::Once { .. } => ScheduleType::Once,
            ScheduleKind::Recurring { .. } => ScheduleType::Recurring,
        }
    }

    /// The instant of a once schedule.
    pub fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        match self.kind {
            ScheduleKind::Once { at } => Some(at),
            ScheduleKind::Recurring { .. } => None,
        }
    }

    /// The rule of a recurring schedule.
    pub fn rule(&self) -> Option<&RecurrenceRule> {
        match &self.kind {
            ScheduleKind::Once { .. } => None,
            ScheduleKind::Recurring { rule } => Some(rule),
        }
    }

    /// Completed or cancelled: nothing about it may change any more.
    /// How a recurring schedule's runs meet a DST change (kept in its rule); none for once.
    pub fn dst_policy(&self) -> Option<crate::recurrence::DstPolicy> {
        self.rule().map(|r| r.dst_policy)
    }

    pub fn is_final(&self) -> bool {
        self.life.status.is_final()
    }

    /// Stamp a write made at `now`. Every change of a schedule ends here.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.life.updated_at = now;
        self.life.revision += 1;
    }

    fn apply(&mut self, action: StatusAction) -> Result<(), TransitionError> {
        self.life.status = self.life.status.apply(action)?;
        Ok(())
    }

    pub fn pause(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        self.apply(StatusAction::Pause)?;
        self.life.paused_at = Some(now);
        self.touch(now);
        Ok(())
    }

    /// Active again. What fell due while paused is the caller's to account for (it needs the
    /// compiled timing): see `Scheduler::catch_up`.
    pub fn resume(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        self.apply(StatusAction::Resume)?;
        self.life.paused_at = None;
        self.touch(now);
        Ok(())
    }

    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        self.apply(StatusAction::Cancel)?;
        self.life.next_run_at = None;
        self.life.paused_at = None;
        self.touch(now);
        Ok(())
    }

    /// Pause, resume or cancel, by name (bulk and the API's routes).
    pub fn transition(
        &mut self,
        action: StatusAction,
        now: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        match action {
            StatusAction::Pause => self.pause(now),
            StatusAction::Resume => self.resume(now),
            StatusAction::Cancel => self.cancel(now),
            StatusAction::Complete => {
                self.apply(StatusAction::Complete)?;
                self.settle(None);
                self.touch(now);
                Ok(())
            }
        }
    }

    /// A run of the occurrence at `at` that counts toward `max_runs`.
    pub fn record_run(&mut self, at: DateTime<Utc>) {
        self.life.run_count += 1;
        self.life.last_run_at = Some(at);
    }

    /// `n` occurrences recorded as skipped.
    pub fn record_skips(&mut self, n: usize) {
        self.stats.skipped += n as u32;
    }

    /// Runs still allowed by `max_runs` (`None`: no limit).
    pub fn runs_left(&self) -> Option<u32> {
        self.max_runs.map(|m| m.saturating_sub(self.life.run_count))
    }

    /// The completion rule, in its one place: `next` is the next occurrence (`None`: there is
    /// none left). A schedule with nothing left to run, or at its `max_runs`, is completed,
    /// whatever it was before; otherwise it waits for `next`.
    pub fn settle(&mut self, next: Option<DateTime<Utc>>) {
        self.life.next_run_at = next;
        if next.is_none() || self.runs_left() == Some(0) {
            self.life.status = ScheduleStatus::Completed;
            self.life.next_run_at = None;
            self.life.paused_at = None;
        }
    }

    /// A due episode that must wait for its predecessor: looked at again at `until`. Not a
    /// change of the schedule's own, so `updated_at` stays.
    pub fn defer(&mut self, until: DateTime<Utc>) {
        self.life.next_run_at = Some(until);
        self.life.revision += 1;
    }

    /// A series runs a failed episode again at `at`: back to active, as if it had not run.
    pub fn replan(&mut self, at: DateTime<Utc>, now: DateTime<Utc>) {
        self.kind = ScheduleKind::Once { at };
        self.life.next_run_at = Some(at);
        self.life.status = ScheduleStatus::Active;
        self.life.run_count = 0;
        self.touch(now);
    }

    /// What a copy keeps: the definition (name, job, timing, policies), not the history (runs,
    /// stats, pause, series membership). The copy is not yet a schedule of its own: see
    /// `start_as_new`.
    pub fn without_history(&self) -> Schedule {
        Schedule {
            series_id: None,
            episode: None,
            stats: RunStats::default(),
            life: Lifecycle {
                status: ScheduleStatus::Active,
                next_run_at: None,
                paused_at: None,
                run_count: 0,
                last_run_at: None,
                ..self.life.clone()
            },
            ..self.clone()
        }
    }

    /// A new schedule `id`, created at `now`, active and waiting for `first`.
    pub fn start_as_new(
        &mut self,
        id: ScheduleId,
        now: DateTime<Utc>,
        first: Option<DateTime<Utc>>,
    ) {
        self.id = id;
        self.created_at = now;
        self.life = Lifecycle {
            next_run_at: first,
            ..Lifecycle::new(now)
        };
    }

    /// A due schedule whose timing cannot be computed is paused, so its owner sees why and
    /// the claimer does not meet it again.
    pub fn suspend(&mut self, now: DateTime<Utc>) {
        self.life.status = ScheduleStatus::Paused;
        self.life.paused_at = Some(now);
        self.touch(now);
    }
}

/// A content series: episodes generated as schedules on a rule's first occurrences.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub id: SeriesId,
    pub user_id: UserId,
    pub name: String,
    pub template_id: Option<Uuid>,
    pub episode_count: u32,
    pub schedule_rule: RecurrenceRule,
    pub timezone: Tz,
    pub job_type: String,
    pub job_config: Value,
    pub current_episode: u32,
    pub status: SeriesStatus,
    pub schedule_ids: Vec<ScheduleId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn lifecycle_methods_keep_the_invariants() {
        let mut s = fixtures::schedule(Uuid::nil(), at(9)).build();
        assert_eq!(s.revision(), 1);
        s.pause(at(1)).unwrap();
        assert_eq!(
            (s.status(), s.paused_at(), s.revision()),
            (ScheduleStatus::Paused, Some(at(1)), 2)
        );
        assert!(s.pause(at(2)).is_err());
        assert_eq!(s.revision(), 2, "a refused transition changes nothing");
        s.resume(at(3)).unwrap();
        assert_eq!((s.status(), s.paused_at()), (ScheduleStatus::Active, None));
        s.cancel(at(4)).unwrap();
        assert_eq!(
            (s.status(), s.next_run_at(), s.updated_at(), s.revision()),
            (ScheduleStatus::Cancelled, None, at(4), 4)
        );
        assert!(s.is_final());
    }

    #[test]
    fn settle_completes_without_a_next_run_or_at_max_runs() {
        let mut s = fixtures::schedule(Uuid::nil(), at(9)).max_runs(2).build();
        s.record_run(at(9));
        s.settle(Some(at(10)));
        assert_eq!(
            (s.status(), s.next_run_at(), s.run_count()),
            (ScheduleStatus::Active, Some(at(10)), 1)
        );
        s.record_run(at(10));
        s.settle(Some(at(11)));
        assert_eq!(
            (s.status(), s.next_run_at()),
            (ScheduleStatus::Completed, None)
        );

        let mut p = fixtures::schedule(Uuid::nil(), at(9)).build();
        p.pause(at(1)).unwrap();
        p.settle(None);
        assert_eq!(
            (p.status(), p.next_run_at(), p.paused_at()),
            (ScheduleStatus::Completed, None, None)
        );
    }
}
