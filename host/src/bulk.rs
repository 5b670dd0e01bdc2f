//! Bulk operations on many schedules at once, on top of [`Scheduler`]: create, update, and the
//! pause/resume/cancel transitions. Each is one storage transaction (one `write_with` whose
//! `WriteSet` holds every schedule), so a crash never leaves half a batch.
//!
//! Create and update are all-or-nothing: every item is checked first and, if any fails,
//! nothing is written and each failing item is reported with its errors. Transitions apply to
//! every item that can take them, in one transaction; an item that is missing, another user's,
//! or in a status the transition does not allow is reported failed and left untouched (asking
//! to pause ten schedules of which one is already paused pauses the other nine).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::model::{Schedule, ScheduleId, ScheduleStatus, StatusAction, UserId};
use crate::recurrence::FieldError;
use crate::service::{DraftParts, PatchParts, Scheduler, ServiceError};
use crate::store::{Snapshot, WriteSet, write_with};
use crate::timezone::{parse_timezone, utc_to_local};

/// Items (or schedules matched by a filter) per request.
pub const MAX_ITEMS: usize = 1000;

/// One item's outcome.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Written (created, updated or transitioned).
    Done(Box<Schedule>),
    /// Valid, but not written because another item of an all-or-nothing batch failed.
    NotWritten,
    Failed(Vec<FieldError>),
}

impl Outcome {
    pub fn is_failed(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }
}

/// A create item as the API parsed it, with its parse errors (paths relative to the item).
pub struct CreateItem {
    pub parts: DraftParts,
    pub errors: Vec<FieldError>,
}

/// Prefix every error path with the item's place in the request, e.g. `schedules[3].`.
fn prefixed(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = if e.field.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}.{}", e.field)
            };
            e
        })
        .collect()
}

fn invalid_of(e: ServiceError) -> Result<Vec<FieldError>, ServiceError> {
    match e {
        ServiceError::Invalid(errors) => Ok(errors),
        other => Err(other),
    }
}

/// `naming_pattern` with `{n}` (1-based), `{name}`, `{date}` (the first run's local date) and
/// `{job_type}` filled in.
pub fn render_name(pattern: &str, n: usize, s: &Schedule) -> String {
    let tz: Tz = parse_timezone(&s.timezone).unwrap_or(chrono_tz::UTC);
    let date = s
        .next_run_at
        .or(s.scheduled_at)
        .map(|t| utc_to_local(&tz, t).date_naive().to_string())
        .unwrap_or_default();
    pattern
        .replace("{n}", &n.to_string())
        .replace("{name}", &s.name)
        .replace("{date}", &date)
        .replace("{job_type}", &s.job_type)
}

/// Create every item or none. With a `naming_pattern` an item's `name` is optional (the
/// pattern names it); the rendered name must be 1 to 200 characters.
pub async fn create(
    sched: &Scheduler,
    user: UserId,
    items: Vec<CreateItem>,
    naming_pattern: Option<&str>,
) -> Result<Vec<Outcome>, ServiceError> {
    let now = sched.clock.now();
    let mut outcomes = Vec::with_capacity(items.len());
    for (i, mut item) in items.into_iter().enumerate() {
        let prefix = format!("schedules[{i}]");
        if naming_pattern.is_some()
            && item.parts.name.is_none()
            && !item.parts.failed.contains("name")
        {
            item.parts.name = Some(String::new());
        }
        let built = match sched.prepare_create(item.parts, item.errors).await {
            Ok(draft) => sched.build(draft, user, now),
            Err(e) => Err(e),
        };
        outcomes.push(match built {
            Ok(mut s) => {
                if let Some(p) = naming_pattern {
                    s.name = render_name(p, i + 1, &s).trim().to_string();
                }
                match s.name.chars().count() {
                    1..=200 => Outcome::Done(Box::new(s)),
                    _ => Outcome::Failed(vec![FieldError::new(
                        format!("{prefix}.name"),
                        "must be 1 to 200 characters (after naming_pattern)",
                    )]),
                }
            }
            Err(e) => Outcome::Failed(prefixed(&prefix, invalid_of(e)?)),
        });
    }
    if outcomes.iter().any(Outcome::is_failed) {
        return Ok(unwritten(outcomes));
    }
    let schedules: Vec<Schedule> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Done(s) => Some((**s).clone()),
            _ => None,
        })
        .collect();
    write_with(&*sched.storage, move |_| {
        Ok::<_, ServiceError>((
            WriteSet {
                put_schedules: schedules,
                ..WriteSet::default()
            },
            (),
        ))
    })
    .await??;
    sched.wake.notify_one();
    Ok(outcomes)
}

/// An all-or-nothing batch that failed: its valid items were not written.
fn unwritten(outcomes: Vec<Outcome>) -> Vec<Outcome> {
    outcomes
        .into_iter()
        .map(|o| {
            if let Outcome::Done(_) = o {
                Outcome::NotWritten
            } else {
                o
            }
        })
        .collect()
}

/// Read a user's schedule inside a write; another user's is as missing.
fn owned(
    snap: &dyn Snapshot,
    user: UserId,
    id: ScheduleId,
) -> Result<Option<Schedule>, ServiceError> {
    Ok(snap.schedule(id)?.filter(|s| s.user_id == user))
}

fn not_found() -> Vec<FieldError> {
    vec![FieldError::new("schedule_id", "no such schedule")]
}

/// Apply one update to every schedule in `ids`, or to none. `patch_of` reads the changes for a
/// schedule (a local `scheduled_at` depends on its timezone) with their parse errors.
pub async fn update(
    sched: &Scheduler,
    user: UserId,
    ids: &[ScheduleId],
    patch_of: impl Fn(&Schedule) -> (PatchParts, Vec<FieldError>),
) -> Result<Vec<Outcome>, ServiceError> {
    let now = sched.clock.now();
    let mut outcomes = Vec::with_capacity(ids.len());
    let mut patches = Vec::with_capacity(ids.len());
    // Check first, outside the writer: the plugin judges a new job config asynchronously.
    for id in ids {
        let Some(current) = sched.storage.schedule(user, *id).await? else {
            outcomes.push(Outcome::Failed(not_found()));
            continue;
        };
        if current.status.is_final() {
            let msg = format!("cannot update a schedule that is {}", current.status);
            outcomes.push(Outcome::Failed(vec![FieldError::new("status", msg)]));
            continue;
        }
        let (patch, errors) = patch_of(&current);
        match sched
            .apply_patch(&current, patch.clone(), errors, now)
            .await
        {
            Ok(s) => {
                patches.push((*id, patch));
                outcomes.push(Outcome::Done(Box::new(s)));
            }
            Err(e) => outcomes.push(Outcome::Failed(prefixed("changes", invalid_of(e)?))),
        }
    }
    if outcomes.iter().any(Outcome::is_failed) {
        return Ok(unwritten(outcomes));
    }
    // Re-apply inside the writer to each schedule as it is there, so a concurrent change is
    // not lost; if one has become final meanwhile, the whole batch is rejected.
    let this = sched.clone();
    let written = write_with(&*sched.storage, move |snap| {
        let mut out = Vec::with_capacity(patches.len());
        for (id, patch) in patches {
            let s = owned(snap, user, id)?.ok_or(ServiceError::NotFound)?;
            if s.status.is_final() {
                return Err(ServiceError::ConflictMessage(format!(
                    "schedule {id} became {} meanwhile",
                    s.status
                )));
            }
            out.push(this.patch_checked(&s, patch, Vec::new(), now)?);
        }
        Ok((
            WriteSet {
                put_schedules: out.clone(),
                ..WriteSet::default()
            },
            out,
        ))
    })
    .await??;
    sched.wake.notify_one();
    Ok(written
        .into_iter()
        .map(|s| Outcome::Done(Box::new(s)))
        .collect())
}

/// Apply `action` (pause, resume or cancel) to each of `ids` that allows it, in one
/// transaction; the others are reported failed and untouched.
pub async fn transition(
    sched: &Scheduler,
    user: UserId,
    ids: Vec<ScheduleId>,
    action: StatusAction,
) -> Result<Vec<Outcome>, ServiceError> {
    let now = sched.clock.now();
    let this = sched.clone();
    let outcomes = write_with(&*sched.storage, move |snap| {
        let mut writes = WriteSet::default();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(s) = owned(snap, user, id)? else {
                out.push(Outcome::Failed(not_found()));
                continue;
            };
            match apply_action(&this, s, action, now, &mut writes) {
                Ok(s) => {
                    writes.put_schedules.push(s.clone());
                    out.push(Outcome::Done(Box::new(s)));
                }
                Err(e) => out.push(Outcome::Failed(vec![FieldError::new("status", e)])),
            }
        }
        let created = writes.put_executions.clone();
        Ok::<_, ServiceError>((writes, (out, created)))
    })
    .await??;
    sched.committed(&outcomes.1);
    Ok(outcomes.0)
}

/// The statuses `action` applies to: a filter matches only those.
pub fn applies_to(action: StatusAction, status: ScheduleStatus) -> bool {
    status.apply(action).is_ok()
}

/// The single-schedule pause, resume (without running now) and cancel, on a schedule read
/// inside the writer; resume accounts for what fell due while paused per the missed policy.
fn apply_action(
    sched: &Scheduler,
    mut s: Schedule,
    action: StatusAction,
    now: DateTime<Utc>,
    writes: &mut WriteSet,
) -> Result<Schedule, String> {
    s.status = s.status.apply(action).map_err(|e| e.to_string())?;
    match action {
        StatusAction::Pause => s.paused_at = Some(now),
        StatusAction::Cancel => {
            s.next_run_at = None;
            s.paused_at = None;
        }
        StatusAction::Resume => {
            // Catch-up may add executions; keep them only if it succeeds for this item.
            let mut mine = WriteSet::default();
            sched
                .catch_up(&mut s, now - sched.grace, now, &mut mine)
                .map_err(|e| e.to_string())?;
            writes.put_executions.extend(mine.put_executions);
            s.paused_at = None;
        }
        StatusAction::Complete => {}
    }
    s.updated_at = now;
    s.revision += 1;
    Ok(s)
}
