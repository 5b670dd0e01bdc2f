//! Checking a create or update request against everything the API could not see from the JSON
//! alone (required combinations, the job type's plugin, the rule compiling and firing), and
//! turning it into a stored `Schedule`. Every error is collected with its field path.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use uuid::Uuid;

use super::{Scheduler, ServiceError, with_field_errors};
use crate::model::timing::Timing;
use crate::model::{
    Lifecycle, MissedPolicy, OverlapPolicy, Priority, Schedule, ScheduleKind, ScheduleType, UserId,
};
use crate::recurrence::{DstPolicy, FieldError, RecurrenceRule};

/// A `scheduled_at` this far in the past is still accepted (clock skew, slow clients); the run
/// is then simply due at once.
const PAST_GRACE: Duration = Duration::seconds(60);

/// A create request as the API parsed it: each field typed, `None` when absent. Fields that
/// were present but malformed are in `failed` (the API already reported them), so they are not
/// reported again as missing.
#[derive(Debug, Default, Clone)]
pub struct DraftParts {
    pub name: Option<String>,
    pub description: Option<String>,
    pub job_type: Option<String>,
    pub job_config: Option<Value>,
    pub schedule_type: Option<ScheduleType>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub recurrence_rule: Option<RecurrenceRule>,
    /// The schedule's own `dst_policy` field, stored in its rule.
    pub dst_policy: Option<DstPolicy>,
    pub timezone: Option<Tz>,
    pub priority: Option<Priority>,
    pub max_runs: Option<u32>,
    pub missed_policy: Option<MissedPolicy>,
    pub overlap_policy: Option<OverlapPolicy>,
    pub failed: HashSet<String>,
}

/// A checked create request.
#[derive(Debug, Clone)]
pub struct ScheduleDraft {
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
}

/// An update request: only the fields given change. `Some(None)` clears an optional field.
#[derive(Debug, Default, Clone)]
pub struct PatchParts {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub job_config: Option<Value>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub recurrence_rule: Option<RecurrenceRule>,
    pub dst_policy: Option<DstPolicy>,
    pub timezone: Option<Tz>,
    pub priority: Option<Priority>,
    pub max_runs: Option<Option<u32>>,
    pub missed_policy: Option<MissedPolicy>,
    pub overlap_policy: Option<OverlapPolicy>,
}

pub type SchedulePatch = PatchParts;

/// The timing fields of a create or a preview, as parsed.
pub(super) struct TimingParts {
    pub schedule_type: Option<ScheduleType>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub rule: Option<RecurrenceRule>,
    pub dst_policy: Option<DstPolicy>,
    pub tz: Tz,
}

/// The schedule's `dst_policy` field into its rule (where it is kept, so the rule alone
/// computes the schedule's runs): a once schedule has none, and a rule that names another
/// policy is a contradiction.
fn set_dst_policy(
    rule: Option<&mut RecurrenceRule>,
    policy: Option<DstPolicy>,
    errors: &mut Vec<FieldError>,
) {
    let Some(p) = policy else { return };
    match rule {
        None if p.is_default() => {}
        None => errors.push(FieldError::new(
            "dst_policy",
            "only a recurring schedule has one",
        )),
        Some(r) if !r.dst_policy.is_default() && r.dst_policy != p => errors.push(FieldError::new(
            "dst_policy",
            "differs from recurrence_rule.dst_policy; give one",
        )),
        Some(r) => r.dst_policy = p,
    }
}

fn required(
    parts_failed: &HashSet<String>,
    errors: &mut Vec<FieldError>,
    field: &str,
    present: bool,
) {
    if !present && !parts_failed.contains(field) {
        errors.push(FieldError::new(field, "is required"));
    }
}

impl Scheduler {
    /// Check a create request: every error found, each with its field path.
    pub async fn prepare_create(&self, parts: DraftParts) -> Result<ScheduleDraft, ServiceError> {
        let mut errors = Vec::new();
        let now = self.clock.now();
        let f = &parts.failed;
        required(f, &mut errors, "name", parts.name.is_some());
        required(f, &mut errors, "job_type", parts.job_type.is_some());
        required(f, &mut errors, "job_config", parts.job_config.is_some());
        required(
            f,
            &mut errors,
            "schedule_type",
            parts.schedule_type.is_some(),
        );
        if let (Some(t), Some(c)) = (&parts.job_type, &parts.job_config) {
            self.check_job_config(t, c, &mut errors).await;
        } else if let Some(t) = &parts.job_type {
            self.check_job_type(t, &mut errors);
        }
        let tz = parts.timezone.unwrap_or(chrono_tz::UTC);
        let kind = self.check_timing(
            TimingParts {
                schedule_type: parts.schedule_type,
                scheduled_at: parts.scheduled_at,
                rule: parts.recurrence_rule.clone(),
                dst_policy: parts.dst_policy,
                tz,
            },
            f,
            now,
            &mut errors,
        );
        if parts.max_runs == Some(0) {
            errors.push(FieldError::new("max_runs", "must be at least 1"));
        }
        // A field in `failed` was reported by whoever parsed the request: nothing to build.
        if !errors.is_empty() || !parts.failed.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let (Some(name), Some(job_type), Some(job_config), Some(kind)) =
            (parts.name, parts.job_type, parts.job_config, kind)
        else {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "",
                "incomplete request",
            )]));
        };
        Ok(ScheduleDraft {
            name,
            description: parts.description,
            job_type,
            job_config,
            kind,
            timezone: tz,
            priority: parts.priority.unwrap_or_default(),
            max_runs: parts.max_runs,
            missed_policy: parts.missed_policy.unwrap_or_default(),
            overlap_policy: parts.overlap_policy.unwrap_or_default(),
        })
    }

    /// The timing of a create (or a preview): a once schedule's time, or a recurring one's
    /// rule, which must compile and fire after `now`. Errors go to `errors`; the kind is
    /// returned only when the timing is whole and right.
    pub(super) fn check_timing(
        &self,
        t: TimingParts,
        failed: &HashSet<String>,
        now: DateTime<Utc>,
        errors: &mut Vec<FieldError>,
    ) -> Option<ScheduleKind> {
        let before = errors.len();
        let mut rule = t.rule;
        set_dst_policy(
            rule.as_mut()
                .filter(|_| t.schedule_type == Some(ScheduleType::Recurring)),
            t.dst_policy,
            errors,
        );
        match t.schedule_type {
            Some(ScheduleType::Once) => {
                required(failed, errors, "scheduled_at", t.scheduled_at.is_some());
                if rule.is_some() {
                    errors.push(FieldError::new(
                        "recurrence_rule",
                        "only for schedule_type recurring",
                    ));
                }
                if let Some(at) = t.scheduled_at
                    && at < now - PAST_GRACE
                {
                    errors.push(FieldError::new("scheduled_at", "is in the past"));
                }
            }
            Some(ScheduleType::Recurring) => {
                required(failed, errors, "recurrence_rule", rule.is_some());
                if t.scheduled_at.is_some() {
                    errors.push(FieldError::new(
                        "scheduled_at",
                        "only for schedule_type once",
                    ));
                }
                if let Some(r) = rule.as_mut() {
                    // Without a start date the rule starts on the local date of its creation.
                    r.start_date
                        .get_or_insert(now.with_timezone(&t.tz).date_naive());
                    self.check_rule(r, t.tz, now, errors);
                }
            }
            None => {}
        }
        if errors.len() > before {
            return None;
        }
        match (t.schedule_type, t.scheduled_at, rule) {
            (Some(ScheduleType::Once), Some(at), _) => Some(ScheduleKind::Once { at }),
            (Some(ScheduleType::Recurring), _, Some(rule)) => {
                Some(ScheduleKind::Recurring { rule })
            }
            _ => None,
        }
    }

    fn check_job_type(&self, job_type: &str, errors: &mut Vec<FieldError>) -> bool {
        if self.plugins.info(job_type).is_some() {
            return true;
        }
        errors.push(FieldError::new(
            "job_type",
            format!(
                "unknown job type {job_type:?}; known: {}",
                self.plugins.job_types().join(", ")
            ),
        ));
        false
    }

    /// The job type's plugin judges the config; its errors are reported under `job_config`.
    pub(super) async fn check_job_config(
        &self,
        job_type: &str,
        config: &Value,
        errors: &mut Vec<FieldError>,
    ) {
        if !self.check_job_type(job_type, errors) {
            return;
        }
        match self.plugins.validate(job_type, config).await {
            Ok(Ok(())) => {}
            Ok(Err(found)) => errors.extend(found.into_iter().map(|e| {
                let field = match e.field.as_str() {
                    "" => "job_config".to_string(),
                    f if f.starts_with('[') => format!("job_config{f}"),
                    f => format!("job_config.{f}"),
                };
                FieldError::new(field, e.message)
            })),
            Err(e) => errors.push(FieldError::new(
                "job_config",
                format!("could not be validated: {e}"),
            )),
        }
    }

    fn check_rule(
        &self,
        rule: &RecurrenceRule,
        tz: Tz,
        now: DateTime<Utc>,
        errors: &mut Vec<FieldError>,
    ) {
        match crate::recurrence::Recurrence::new(rule, tz, &self.calendars) {
            Err(e) => errors.extend(e.field_errors("recurrence_rule").into_iter().map(|mut fe| {
                if !fe.field.starts_with("recurrence_rule") {
                    fe.field = if fe.field.is_empty() {
                        "recurrence_rule".into()
                    } else {
                        format!("recurrence_rule.{}", fe.field)
                    };
                }
                fe
            })),
            Ok(r) => {
                if r.next_after(now).is_none() {
                    errors.push(FieldError::new(
                        "recurrence_rule",
                        "has no occurrence after now",
                    ));
                }
            }
        }
    }

    /// A new active schedule from a checked draft, its first run computed.
    pub(crate) fn build(
        &self,
        draft: ScheduleDraft,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Schedule, ServiceError> {
        let mut s = Schedule {
            id: Uuid::now_v7(),
            user_id: user,
            name: draft.name,
            description: draft.description,
            job_type: draft.job_type,
            job_config: draft.job_config,
            kind: draft.kind,
            timezone: draft.timezone,
            priority: draft.priority,
            max_runs: draft.max_runs,
            missed_policy: draft.missed_policy,
            overlap_policy: draft.overlap_policy,
            series_id: None,
            episode: None,
            created_at: now,
            stats: Default::default(),
            life: Lifecycle::new(now),
        };
        let first = self.first_run(&s, now)?;
        s.settle(first);
        Ok(s)
    }

    /// The next run of `s` counted from `now`: a once schedule keeps its (possibly just past)
    /// time; a recurring one takes its first occurrence after now.
    pub(super) fn first_run(
        &self,
        s: &Schedule,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, ServiceError> {
        Ok(match self.timing(s)? {
            Timing::Once(_) if s.run_count() > 0 => None,
            t => t.first_run(now),
        })
    }

    /// Check an update against the schedule it changes; returns the changed schedule.
    pub(crate) async fn apply_patch(
        &self,
        current: &Schedule,
        patch: PatchParts,
        now: DateTime<Utc>,
    ) -> Result<Schedule, ServiceError> {
        let mut errors = Vec::new();
        if let Some(c) = &patch.job_config {
            self.check_job_config(&current.job_type, c, &mut errors)
                .await;
        }
        with_field_errors(errors, self.patch_checked(current, patch, now))
    }

    /// `apply_patch` once the job config (if any) has been judged by its plugin: no await, so
    /// it can run inside the writer on the schedule as it is there.
    pub(crate) fn patch_checked(
        &self,
        current: &Schedule,
        patch: PatchParts,
        now: DateTime<Utc>,
    ) -> Result<Schedule, ServiceError> {
        let mut errors = Vec::new();
        let mut s = current.clone();
        let tz = patch.timezone.unwrap_or(s.timezone);
        let timing_changed = patch.recurrence_rule.is_some()
            || patch.dst_policy.is_some()
            || patch.timezone.is_some()
            || patch.scheduled_at.is_some();
        match &s.kind {
            ScheduleKind::Once { .. } => {
                set_dst_policy(None, patch.dst_policy, &mut errors);
                if patch.recurrence_rule.is_some() {
                    errors.push(FieldError::new(
                        "recurrence_rule",
                        "only for schedule_type recurring",
                    ));
                }
                if let Some(at) = patch.scheduled_at
                    && at < now - PAST_GRACE
                {
                    errors.push(FieldError::new("scheduled_at", "is in the past"));
                }
            }
            ScheduleKind::Recurring { rule: current } => {
                if patch.scheduled_at.is_some() {
                    errors.push(FieldError::new(
                        "scheduled_at",
                        "only for schedule_type once",
                    ));
                }
                let mut rule = match patch.recurrence_rule.clone() {
                    // A new rule keeps the policy unless it, or the patch, names one.
                    Some(mut r) if r.dst_policy.is_default() && patch.dst_policy.is_none() => {
                        r.dst_policy = current.dst_policy;
                        r
                    }
                    Some(r) => r,
                    None => {
                        let mut r = current.clone();
                        if patch.dst_policy.is_some() {
                            r.dst_policy = Default::default();
                        }
                        r
                    }
                };
                set_dst_policy(Some(&mut rule), patch.dst_policy, &mut errors);
                rule.start_date
                    .get_or_insert(now.with_timezone(&tz).date_naive());
                if timing_changed {
                    self.check_rule(&rule, tz, now, &mut errors);
                }
                s.kind = ScheduleKind::Recurring { rule };
            }
        }
        if patch.max_runs == Some(Some(0)) {
            errors.push(FieldError::new("max_runs", "must be at least 1"));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        if let Some(n) = patch.name {
            s.name = n;
        }
        if let Some(d) = patch.description {
            s.description = d;
        }
        if let Some(c) = patch.job_config {
            s.job_config = c;
        }
        if let Some(p) = patch.priority {
            s.priority = p;
        }
        if let Some(m) = patch.missed_policy {
            s.missed_policy = m;
        }
        if let Some(o) = patch.overlap_policy {
            s.overlap_policy = o;
        }
        if let Some(at) = patch.scheduled_at {
            s.kind = ScheduleKind::Once { at };
        }
        s.timezone = tz;
        if let Some(m) = patch.max_runs {
            s.max_runs = m;
        }
        // A new rule or zone counts from now; what already ran stays in the history.
        let next = match (&s.kind, timing_changed) {
            (_, false) => s.next_run_at(),
            (ScheduleKind::Once { at }, true) => Some(*at),
            (ScheduleKind::Recurring { .. }, true) => self.first_run(&s, now)?,
        };
        s.settle(next);
        s.touch(now);
        Ok(s)
    }
}
