//! Random sequences of operations (create, pause, resume, cancel, run now, update, delete,
//! clone, the clock moving, the claimer claiming, the dispatcher ending pending runs) through the service on a real store,
//! compared after every step with the reference model (`model`): every schedule's status,
//! next run, counts, revision and executions, the user's listing and the earliest due time.
//! Fixed seed and a bounded number of cases, so a run is deterministic and takes seconds.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRng, TestRunner};
use uuid::Uuid;

use super::model::{Model, Refusal, Run, Timing};
use super::support::{Env, export_config, utc};
use crate::executor::claim_due;
use crate::model::{
    ExecutionStatus, MissedPolicy, OverlapPolicy, Priority, ScheduleKind, ScheduleStatus,
    StatusAction,
};
use crate::recurrence::{Frequency, RecurrenceRule, TimeOfDay};
use crate::service::{PatchParts, RunOptions, ScheduleDraft, ServiceError};
use crate::store::{ScheduleFilter, StoreError, WriteSet, write_with};

/// Cases per run and steps per case: a few seconds on two cores. `PROPTEST_CASES` asks for
/// more (a longer hunt; the first cases stay the same, the seed is fixed).
const CASES: u32 = 128;
const MAX_STEPS: usize = 50;

#[derive(Debug, Clone)]
enum RuleSpec {
    Hourly { every: i64, minute: u32 },
    Daily { hours: Vec<u32>, minute: u32 },
}

#[derive(Debug, Clone)]
struct Setup {
    max_runs: Option<u32>,
    missed: MissedPolicy,
    overlap: OverlapPolicy,
    priority: Priority,
}

#[derive(Debug, Clone)]
enum Op {
    CreateOnce {
        in_minutes: i64,
        setup: Setup,
    },
    CreateRecurring {
        rule: RuleSpec,
        setup: Setup,
    },
    Pause(Index),
    Resume(Index, bool),
    Cancel(Index),
    RunNow(Index, bool),
    NewRule(Index, RuleSpec),
    NewTime(Index, i64),
    SetPriority(Index, Priority),
    SetMaxRuns(Index, u32),
    Delete(Index),
    Clone(Index),
    /// The dispatcher ran the schedule's pending executions.
    Finish(Index),
    Advance(i64),
    Claim,
}

fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    let minute = prop::sample::select(vec![0u32, 15, 30, 59]);
    prop_oneof![
        (prop::sample::select(vec![1i64, 2, 3, 4, 6]), minute.clone())
            .prop_map(|(every, minute)| RuleSpec::Hourly { every, minute }),
        (prop::collection::btree_set(0u32..24, 1..=3), minute).prop_map(|(hours, minute)| {
            RuleSpec::Daily {
                hours: hours.into_iter().collect(),
                minute,
            }
        }),
    ]
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        prop::option::of(1u32..5),
        prop::sample::select(MissedPolicy::ALL),
        prop::sample::select(OverlapPolicy::ALL),
        prop::sample::select(Priority::ALL),
    )
        .prop_map(|(max_runs, missed, overlap, priority)| Setup {
            max_runs,
            missed,
            overlap,
            priority,
        })
}

fn op() -> impl Strategy<Value = Op> {
    let i = any::<Index>;
    prop_oneof![
        2 => (0i64..600, setup()).prop_map(|(in_minutes, setup)| Op::CreateOnce { in_minutes, setup }),
        3 => (rule_spec(), setup()).prop_map(|(rule, setup)| Op::CreateRecurring { rule, setup }),
        2 => i().prop_map(Op::Pause),
        2 => (i(), any::<bool>()).prop_map(|(i, now)| Op::Resume(i, now)),
        1 => i().prop_map(Op::Cancel),
        2 => (i(), any::<bool>()).prop_map(|(i, counts)| Op::RunNow(i, counts)),
        1 => (i(), rule_spec()).prop_map(|(i, r)| Op::NewRule(i, r)),
        1 => (i(), 0i64..600).prop_map(|(i, m)| Op::NewTime(i, m)),
        1 => (i(), prop::sample::select(Priority::ALL)).prop_map(|(i, p)| Op::SetPriority(i, p)),
        1 => (i(), 1u32..5).prop_map(|(i, n)| Op::SetMaxRuns(i, n)),
        1 => i().prop_map(Op::Delete),
        1 => i().prop_map(Op::Clone),
        2 => i().prop_map(Op::Finish),
        // Inside the grace window, a few hours, and days (downtime, long pauses).
        3 => (0i64..=90).prop_map(Op::Advance),
        4 => (60i64..=4 * 3600).prop_map(Op::Advance),
        1 => (3600i64..=2 * 86_400).prop_map(Op::Advance),
        5 => Just(Op::Claim),
    ]
}

impl RuleSpec {
    fn rule(&self, now: DateTime<Utc>) -> RecurrenceRule {
        let mut r = match self {
            RuleSpec::Hourly { every, minute } => {
                let mut r = RecurrenceRule::new(
                    Frequency::Hourly,
                    TimeOfDay::new(0, *minute as u8).unwrap(),
                );
                r.interval = *every as u32;
                r
            }
            RuleSpec::Daily { hours, minute } => {
                let mut r = RecurrenceRule::new(
                    Frequency::Daily,
                    TimeOfDay::new(hours[0] as u8, *minute as u8).unwrap(),
                );
                if hours.len() > 1 {
                    r.hours = hours.iter().map(|h| *h as u8).collect();
                }
                r
            }
        };
        // As `prepare_create` does for a rule without a start date.
        r.start_date = Some(now.date_naive());
        r
    }

    fn timing(&self, now: DateTime<Utc>) -> Timing {
        let start = now.date_naive();
        match self {
            RuleSpec::Hourly { every, minute } => Timing::Hourly {
                start,
                every: *every,
                minute: *minute,
            },
            RuleSpec::Daily { hours, minute } => Timing::Daily {
                start,
                hours: hours.clone(),
                minute: *minute,
            },
        }
    }
}

fn refusal(e: ServiceError) -> Refusal {
    match e {
        ServiceError::NotFound => Refusal::NotFound,
        ServiceError::Conflict { current, action } => Refusal::Conflict(current, action),
        ServiceError::Final { current, what } => Refusal::Final(current, what),
        ServiceError::Invalid(_) => Refusal::Invalid,
        e => panic!("an unexpected error: {e:?}"),
    }
}

fn draft(kind: ScheduleKind, setup: &Setup) -> ScheduleDraft {
    ScheduleDraft {
        name: "p".into(),
        description: None,
        job_type: "export".into(),
        job_config: export_config(),
        kind,
        timezone: chrono_tz::UTC,
        priority: setup.priority,
        max_runs: setup.max_runs,
        missed_policy: setup.missed,
        overlap_policy: setup.overlap,
    }
}

/// The schedules of one case: service id and model, `None` once deleted.
struct World {
    env: Env,
    schedules: Vec<(Uuid, Option<Model>)>,
}

impl World {
    fn pick(&mut self, i: &Index) -> Option<(Uuid, &mut Option<Model>)> {
        if self.schedules.is_empty() {
            return None;
        }
        let n = i.index(self.schedules.len());
        let (id, m) = &mut self.schedules[n];
        Some((*id, m))
    }

    /// Apply `op` to both; `Err` describes a disagreement.
    async fn step(&mut self, op: &Op) -> Result<(), String> {
        let now = self.env.now();
        let grace = self.env.sched.grace();
        let user = self.env.user;
        let sched = self.env.sched.clone();
        let on = |m: &mut Option<Model>, f: &mut dyn FnMut(&mut Model) -> Result<(), Refusal>| {
            // A refused operation changes nothing, in the model as in the store.
            let Some(model) = m else {
                return Err(Refusal::NotFound);
            };
            let mut next = model.clone();
            f(&mut next)?;
            *model = next;
            Ok(())
        };
        let agree = |got: Result<(), ServiceError>, want: Result<(), Refusal>| {
            let got = got.map_err(refusal);
            if got == want {
                Ok(())
            } else {
                Err(format!("service answered {got:?}, the model {want:?}"))
            }
        };
        match op {
            Op::CreateOnce { in_minutes, setup } => {
                let at = now + Duration::minutes(*in_minutes);
                let s = sched
                    .create(user, draft(ScheduleKind::Once { at }, setup))
                    .await
                    .map_err(|e| format!("create: {e:?}"))?;
                let m = Model::new(
                    Timing::Once(at),
                    now,
                    setup.max_runs,
                    setup.missed,
                    setup.overlap,
                    setup.priority,
                );
                self.schedules.push((s.id, Some(m)));
            }
            Op::CreateRecurring { rule, setup } => {
                let kind = ScheduleKind::Recurring {
                    rule: rule.rule(now),
                };
                let s = sched
                    .create(user, draft(kind, setup))
                    .await
                    .map_err(|e| format!("create: {e:?}"))?;
                let m = Model::new(
                    rule.timing(now),
                    now,
                    setup.max_runs,
                    setup.missed,
                    setup.overlap,
                    setup.priority,
                );
                self.schedules.push((s.id, Some(m)));
            }
            Op::Pause(i) | Op::Cancel(i) => {
                let action = match op {
                    Op::Pause(_) => StatusAction::Pause,
                    _ => StatusAction::Cancel,
                };
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                let want = on(m, &mut |m| match action {
                    StatusAction::Pause => m.pause(now),
                    _ => m.cancel(now),
                });
                agree(sched.transition(user, id, action).await.map(drop), want)?;
            }
            Op::Resume(i, run_now) => {
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                let want = on(m, &mut |m| m.resume(now, grace, *run_now));
                agree(sched.resume(user, id, *run_now).await.map(drop), want)?;
            }
            Op::RunNow(i, counts) => {
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                let want = on(m, &mut |m| m.run_now(now, *counts));
                let opts = RunOptions {
                    count_toward_max_runs: *counts,
                };
                agree(sched.run_now(user, id, opts).await.map(drop), want)?;
            }
            Op::NewRule(i, spec) => {
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                let want = on(m, &mut |m| m.retime(now, spec.timing(now)));
                let mut rule = spec.rule(now);
                // As the API sends it: the service fills in the start date.
                rule.start_date = None;
                let patch = PatchParts {
                    recurrence_rule: Some(rule),
                    ..PatchParts::default()
                };
                agree(sched.update(user, id, patch).await.map(drop), want)?;
            }
            Op::NewTime(i, in_minutes) => {
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                let at = now + Duration::minutes(*in_minutes);
                let want = on(m, &mut |m| m.retime(now, Timing::Once(at)));
                let patch = PatchParts {
                    scheduled_at: Some(at),
                    ..PatchParts::default()
                };
                agree(sched.update(user, id, patch).await.map(drop), want)?;
            }
            Op::SetPriority(i, p) => {
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                let want = on(m, &mut |m| m.set_priority(now, *p));
                let patch = PatchParts {
                    priority: Some(*p),
                    ..PatchParts::default()
                };
                agree(sched.update(user, id, patch).await.map(drop), want)?;
            }
            Op::SetMaxRuns(i, n) => {
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                let want = on(m, &mut |m| m.set_max_runs(now, *n));
                let patch = PatchParts {
                    max_runs: Some(Some(*n)),
                    ..PatchParts::default()
                };
                agree(sched.update(user, id, patch).await.map(drop), want)?;
            }
            Op::Delete(i) => {
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                let want = if m.take().is_some() {
                    Ok(())
                } else {
                    Err(Refusal::NotFound)
                };
                agree(sched.delete(user, id).await, want)?;
            }
            Op::Clone(i) => {
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                let want = match m {
                    None => Err(Refusal::NotFound),
                    Some(m) => m.cloned(now),
                };
                let got = sched.clone_schedule(user, id, PatchParts::default()).await;
                match (got, want) {
                    (Ok(s), Ok(m)) => self.schedules.push((s.id, Some(m))),
                    (got, want) => agree(got.map(drop), want.map(drop))?,
                }
            }
            Op::Finish(i) => {
                let Some((id, m)) = self.pick(i) else {
                    return Ok(());
                };
                if let Some(m) = m {
                    m.finish();
                }
                // The execution side of the dispatcher's outcome write (its counters are not
                // compared): a deleted schedule has no executions left to end.
                write_with(&**sched.storage(), move |snap| {
                    let mut ended =
                        snap.executions_of(id, Some(ExecutionStatus::Pending), 100_000)?;
                    for e in &mut ended {
                        e.status = ExecutionStatus::Completed;
                        e.completed_at = Some(now);
                    }
                    let writes = WriteSet {
                        put_executions: ended,
                        ..WriteSet::default()
                    };
                    Ok::<_, StoreError>((writes, ()))
                })
                .await
                .and_then(|r| r)
                .map_err(|e| format!("finish: {e:?}"))?;
            }
            Op::Advance(seconds) => self.env.set(now + Duration::seconds(*seconds)),
            Op::Claim => {
                let claimed = claim_due(&sched, 10_000, None)
                    .await
                    .map_err(|e| format!("claim: {e:?}"))?;
                let got: BTreeSet<_> = claimed
                    .iter()
                    .map(|e| (e.schedule_id, e.scheduled_for))
                    .collect();
                let mut want = BTreeSet::new();
                for (id, m) in &mut self.schedules {
                    let Some(m) = m else { continue };
                    let before = m.runs.len();
                    m.claim(now, grace);
                    for r in &m.runs[before..] {
                        if r.1 == ExecutionStatus::Pending {
                            want.insert((*id, r.0));
                        }
                    }
                    if m.status == ScheduleStatus::Active && m.next_run_at.is_some_and(|t| t <= now)
                    {
                        return Err(format!("the model left {id} due after a claim"));
                    }
                }
                if got != want {
                    return Err(format!("claimed {got:?}, the model {want:?}"));
                }
                // Everything due was claimed: a second look finds nothing.
                let again = claim_due(&sched, 10_000, None)
                    .await
                    .map_err(|e| format!("claim: {e:?}"))?;
                if !again.is_empty() {
                    return Err(format!("a second claim made {again:?}"));
                }
            }
        }
        Ok(())
    }

    /// Every schedule as the service has it, against its model.
    async fn check(&self) -> Result<(), String> {
        let (sched, user) = (&self.env.sched, self.env.user);
        for (id, m) in &self.schedules {
            let mut runs: Vec<Run> = self
                .env
                .runs(*id)
                .await
                .iter()
                .map(|e| {
                    (
                        e.scheduled_for,
                        e.status,
                        e.is_manual,
                        e.counts_toward_max_runs,
                        e.skip_reason,
                    )
                })
                .collect();
            runs.sort();
            let Some(m) = m else {
                match sched.get(user, *id).await {
                    Err(ServiceError::NotFound) if runs.is_empty() => continue,
                    got => return Err(format!("deleted {id}: {got:?}, runs {runs:?}")),
                }
            };
            let s = sched
                .get(user, *id)
                .await
                .map_err(|e| format!("get {id}: {e:?}"))?;
            let got = (
                s.status(),
                s.next_run_at(),
                s.run_count(),
                s.last_run_at(),
                s.paused_at(),
                s.max_runs,
                s.priority,
                s.stats.skipped,
                s.revision(),
                s.updated_at(),
            );
            let want = (
                m.status,
                m.next_run_at,
                m.run_count,
                m.last_run_at,
                m.paused_at,
                m.max_runs,
                m.priority,
                m.skipped,
                m.revision,
                m.updated_at,
            );
            if got != want {
                return Err(format!(
                    "schedule {id}\n (status, next, runs, last, paused, max, priority, skipped, revision, updated)\n service {got:?}\n model   {want:?}"
                ));
            }
            let mut want_runs = m.runs.clone();
            want_runs.sort();
            if runs != want_runs {
                return Err(format!(
                    "executions of {id}\n service {runs:?}\n model   {want_runs:?}"
                ));
            }
        }
        let listed: Vec<Uuid> = sched
            .list(user, ScheduleFilter::default(), None, 10_000)
            .await
            .map_err(|e| format!("list: {e:?}"))?
            .iter()
            .map(|s| s.id)
            .collect();
        let live: Vec<Uuid> = self
            .schedules
            .iter()
            .filter(|(_, m)| m.is_some())
            .map(|(id, _)| *id)
            .collect();
        if listed != live {
            return Err(format!("listed {listed:?}, the model {live:?}"));
        }
        let due = sched
            .storage()
            .next_due_at()
            .await
            .map_err(|e| e.to_string())?;
        let want_due = self
            .schedules
            .iter()
            .filter_map(|(_, m)| m.as_ref())
            .filter(|m| m.status == ScheduleStatus::Active)
            .filter_map(|m| m.next_run_at)
            .min();
        if due != want_due {
            return Err(format!("next due {due:?}, the model {want_due:?}"));
        }
        Ok(())
    }
}

async fn run_case(ops: Vec<Op>) -> Result<(), String> {
    let mut world = World {
        env: Env::new(utc(2026, 3, 2, 9, 0)),
        schedules: Vec::new(),
    };
    for (n, op) in ops.iter().enumerate() {
        let at = world.env.now();
        let context = |e: String| format!("step {n} ({op:?}) at {at}: {e}");
        world.step(op).await.map_err(context)?;
        world.check().await.map_err(context)?;
    }
    Ok(())
}

#[test]
fn random_lifecycles_agree_with_the_reference_model() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(CASES),
        max_shrink_iters: 2000,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = prop::collection::vec(op(), 1..=MAX_STEPS);
    let result = runner.run(&strategy, |ops| {
        rt.block_on(run_case(ops)).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
