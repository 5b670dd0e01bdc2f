//! Bulk operations on many schedules at once: create, update, and the pause/resume/cancel
//! transitions. Each is one `commit` whose `WriteSet` holds every schedule, so a crash never
//! leaves half a batch.
//!
//! Create and update are all-or-nothing: every item is checked first and, if any fails,
//! nothing is written and each failing item is reported with its errors. Transitions apply to
//! every item that can take them, in one transaction; an item that is missing, another user's,
//! or in a status the transition does not allow is reported failed and left untouched (asking
//! to pause ten schedules of which one is already paused pauses the other nine).

use super::draft::{DraftParts, PatchParts};
use super::ops::not_final;
use super::{Scheduler, ServiceError, with_field_errors};
use crate::model::{Schedule, ScheduleId, ScheduleStatus, StatusAction, UserId};
use crate::recurrence::FieldError;
use crate::store::{Snapshot, WriteSet};
use crate::timezone::utc_to_local;

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
    let date = s
        .next_run_at()
        .or(s.scheduled_at())
        .map(|t| utc_to_local(&s.timezone, t).date_naive().to_string())
        .unwrap_or_default();
    pattern
        .replace("{n}", &n.to_string())
        .replace("{name}", &s.name)
        .replace("{date}", &date)
        .replace("{job_type}", &s.job_type)
}

impl Scheduler {
    /// Create every item or none. With a `naming_pattern` an item's `name` is optional (the
    /// pattern names it); the rendered name must be 1 to 200 characters.
    pub async fn bulk_create(
        &self,
        user: UserId,
        items: Vec<CreateItem>,
        naming_pattern: Option<&str>,
    ) -> Result<Vec<Outcome>, ServiceError> {
        let now = self.clock.now();
        let mut outcomes = Vec::with_capacity(items.len());
        for (i, mut item) in items.into_iter().enumerate() {
            let prefix = format!("schedules[{i}]");
            if naming_pattern.is_some()
                && item.parts.name.is_none()
                && !item.parts.failed.contains("name")
            {
                item.parts.name = Some(String::new());
            }
            let checked = self.prepare_create(item.parts).await;
            let built = match with_field_errors(item.errors, checked) {
                Ok(draft) => self.build(draft, user, now),
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
        let put_schedules: Vec<Schedule> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Done(s) => Some((**s).clone()),
                _ => None,
            })
            .collect();
        self.commit(move |_| {
            let writes = WriteSet {
                put_schedules: put_schedules.clone(),
                ..WriteSet::default()
            };
            Ok((writes, ()))
        })
        .await?;
        Ok(outcomes)
    }

    /// Apply one update to every schedule in `ids`, or to none. `patch_of` reads the changes
    /// for a schedule (a local `scheduled_at` depends on its timezone) with their parse errors.
    pub async fn bulk_update(
        &self,
        user: UserId,
        ids: &[ScheduleId],
        patch_of: impl Fn(&Schedule) -> (PatchParts, Vec<FieldError>),
    ) -> Result<Vec<Outcome>, ServiceError> {
        let now = self.clock.now();
        let mut outcomes = Vec::with_capacity(ids.len());
        let mut patches = Vec::with_capacity(ids.len());
        // Check first, outside the writer: the plugin judges a new job config asynchronously.
        for id in ids {
            let Some(current) = self.storage.schedule(user, *id).await? else {
                outcomes.push(Outcome::Failed(not_found()));
                continue;
            };
            if let Err(e) = not_final(&current, "update") {
                outcomes.push(Outcome::Failed(vec![FieldError::new(
                    "status",
                    e.to_string(),
                )]));
                continue;
            }
            let (patch, errors) = patch_of(&current);
            let checked = self.apply_patch(&current, patch.clone(), now).await;
            match with_field_errors(errors, checked) {
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
        // Re-apply inside the writer to each schedule as it is there, so a concurrent change
        // is not lost; if one has become final meanwhile, the whole batch is rejected.
        let this = self.clone();
        let written = self
            .commit(move |snap| {
                let mut out = Vec::with_capacity(patches.len());
                for (id, patch) in patches.iter().cloned() {
                    let s = owned(snap, user, id)?.ok_or(ServiceError::NotFound)?;
                    if s.is_final() {
                        return Err(ServiceError::ConflictMessage(format!(
                            "schedule {id} became {} meanwhile",
                            s.status()
                        )));
                    }
                    out.push(this.patch_checked(&s, patch, now)?);
                }
                let writes = WriteSet {
                    put_schedules: out.clone(),
                    ..WriteSet::default()
                };
                Ok((writes, out))
            })
            .await?;
        Ok(written
            .into_iter()
            .map(|s| Outcome::Done(Box::new(s)))
            .collect())
    }

    /// Apply `action` (pause, resume or cancel) to each of `ids` that allows it, in one
    /// transaction; the others are reported failed and untouched. Resume accounts for what
    /// fell due while paused per the missed policy, as the single-schedule resume does.
    pub async fn bulk_transition(
        &self,
        user: UserId,
        ids: Vec<ScheduleId>,
        action: StatusAction,
    ) -> Result<Vec<Outcome>, ServiceError> {
        let now = self.clock.now();
        let this = self.clone();
        self.commit(move |snap| {
            let mut writes = WriteSet::default();
            let mut out = Vec::with_capacity(ids.len());
            for &id in &ids {
                let Some(mut s) = owned(snap, user, id)? else {
                    out.push(Outcome::Failed(not_found()));
                    continue;
                };
                // Catch-up may add executions; keep them only if it succeeds for this item.
                let mut mine = WriteSet::default();
                let done = match action {
                    StatusAction::Resume => this.resume_in(&mut s, now, &mut mine),
                    _ => s.transition(action, now).map_err(ServiceError::from),
                };
                match done {
                    Ok(()) => {
                        writes.put_executions.append(&mut mine.put_executions);
                        writes.put_schedules.push(s.clone());
                        out.push(Outcome::Done(Box::new(s)));
                    }
                    Err(e) => out.push(Outcome::Failed(vec![FieldError::new(
                        "status",
                        e.to_string(),
                    )])),
                }
            }
            Ok((writes, out))
        })
        .await
    }
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

/// The statuses `action` applies to: a filter matches only those.
pub fn applies_to(action: StatusAction, status: ScheduleStatus) -> bool {
    status.apply(action).is_ok()
}
