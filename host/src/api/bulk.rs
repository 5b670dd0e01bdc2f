//! `POST /v1/schedules/bulk` (create), `/bulk/update`, and `/bulk/pause|resume|cancel`.
//! Bodies are read here into typed items; the batch rules live in `service::bulk`.
//!
//! Answers: `{total_count, success_count, failure_count, results:[{index, status, schedule_id?,
//! schedule?, errors?}]}`. Create and update are all-or-nothing: 201/200 when every item was
//! written, 422 when any failed (its errors listed; the valid ones are `not_written`).
//! Transitions answer 200 and report each item that could not take the transition as failed.
//! A malformed request as a whole (no list, too many items, unknown fields) is a 422 problem.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use super::auth::AuthUser;
use super::fields::Reader;
use super::schedules::view::ScheduleView;
use super::schedules::{body, json_body};
use super::{AppState, Problem};
use crate::model::limits;
use crate::model::{Priority, ScheduleId, ScheduleStatus, StatusAction, UserId};
use crate::recurrence::FieldError;
use crate::service::{CreateItem, MAX_ITEMS, Outcome, applies_to};
use crate::store::ScheduleFilter;

#[derive(Serialize, utoipa::ToSchema)]
pub struct BulkResponse {
    pub total_count: usize,
    pub success_count: usize,
    pub failure_count: usize,
    pub results: Vec<ItemResult>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    pub index: usize,
    /// `created`, `updated`, `paused`, `resumed`, `cancelled`; `failed`; or `not_written` (valid,
    /// but its all-or-nothing batch had a failing item).
    /// `created`, `updated`, `paused`, `resumed`, `cancelled`, `failed` or `not_written`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<super::ProblemFieldError>>,
}

/// `atomic`: an all-or-nothing batch, answered 422 when any item failed.
fn respond(
    state: &AppState,
    ok: StatusCode,
    atomic: bool,
    done: &'static str,
    ids: &[Option<ScheduleId>],
    outcomes: Vec<Outcome>,
) -> Response {
    let now = state.scheduler.now();
    let failure_count = outcomes.iter().filter(|o| o.is_failed()).count();
    let success_count = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Done(_)))
        .count();
    let results: Vec<ItemResult> = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, o)| {
            let mut r = ItemResult {
                index,
                status: "failed",
                schedule_id: ids.get(index).copied().flatten().map(|i| i.to_string()),
                schedule: None,
                errors: None,
            };
            match o {
                Outcome::Done(s) => {
                    r.status = done;
                    r.schedule_id = Some(s.id.to_string());
                    r.schedule = Some(ScheduleView::new(&s, now));
                }
                Outcome::NotWritten => r.status = "not_written",
                Outcome::Failed(errors) => {
                    r.errors = Some(
                        errors
                            .into_iter()
                            .map(|e| super::ProblemFieldError {
                                field: e.field,
                                message: e.message,
                            })
                            .collect(),
                    )
                }
            }
            r
        })
        .collect();
    let code = if atomic && failure_count > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        ok
    };
    let body = BulkResponse {
        total_count: results.len(),
        success_count,
        failure_count,
        results,
    };
    (code, Json(body)).into_response()
}

/// `over` merged into `base`: objects key by key, recursively; anything else, `over` wins.
pub fn deep_merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            let mut out: Map<String, Value> = b.clone();
            for (k, v) in o {
                let merged = match out.get(k) {
                    Some(bv) => deep_merge(bv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        _ => over.clone(),
    }
}

fn check(errors: Vec<FieldError>) -> Result<(), Problem> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid_fields(errors))
    }
}

/// A required array of 1 to `MAX_ITEMS` elements.
fn items<'a>(r: &mut Reader<'a>, field: &str) -> Option<&'a Vec<Value>> {
    match r.value(field) {
        None => {
            r.errors.push(FieldError::new(field, "is required"));
            None
        }
        Some(Value::Array(a)) if (1..=MAX_ITEMS).contains(&a.len()) => Some(a),
        Some(Value::Array(a)) => {
            r.errors.push(FieldError::new(
                field,
                format!("must have 1 to {MAX_ITEMS} items, not {}", a.len()),
            ));
            None
        }
        Some(_) => {
            r.errors.push(FieldError::new(field, "must be an array"));
            None
        }
    }
}

#[utoipa::path(post, path = "/v1/schedules/bulk", operation_id = "bulk_create", tag = "bulk",
    request_body = crate::api::openapi::types::BulkCreateRequest,
    responses(
        (status = 201, description = "All created", body = crate::api::bulk::BulkResponse),
        (status = 422, description = "Nothing written: the failing items with their errors, or a malformed request", content(
            (crate::api::bulk::BulkResponse = "application/json"),
            (crate::api::Problem = "application/problem+json"),
        )),
        (status = 502, description = "A job type's plugin failed", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let body = json_body(&bytes, false)?;
    let mut r = Reader::new(&body, "").map_err(|e| Problem::invalid_fields(vec![e]))?;
    r.deny_unknown(&["schedules", "shared_config", "naming_pattern"]);
    let list = items(&mut r, "schedules");
    let shared = match r.value("shared_config") {
        Some(Value::Object(_)) | None => r.value("shared_config"),
        Some(_) => {
            r.errors
                .push(FieldError::new("shared_config", "must be a JSON object"));
            None
        }
    };
    let pattern = r.string("naming_pattern", 1, 500);
    check(r.errors)?;
    let list = list.expect("checked");
    let parsed = list
        .iter()
        .map(|raw| {
            let mut item = raw.clone();
            if let (Some(shared), Some(obj)) = (shared, item.as_object_mut()) {
                let merged = match obj.get("job_config") {
                    Some(c) if !c.is_null() => deep_merge(shared, c),
                    _ => shared.clone(),
                };
                obj.insert("job_config".into(), merged);
            }
            let (parts, errors) = body::create(&item);
            CreateItem { parts, errors }
        })
        .collect();
    let outcomes = state
        .scheduler
        .bulk_create(user, parsed, pattern.as_deref())
        .await?;
    Ok(respond(
        &state,
        StatusCode::CREATED,
        true,
        "created",
        &[],
        outcomes,
    ))
}

/// `schedule_ids`: UUIDs, each once.
fn ids_of(r: &mut Reader, field: &str) -> Option<Vec<ScheduleId>> {
    let list = items(r, field)?;
    let mut out = Vec::with_capacity(list.len());
    let before = r.errors.len();
    for (i, v) in list.iter().enumerate() {
        match v.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()) {
            Some(id) if out.contains(&id) => r
                .errors
                .push(FieldError::new(format!("{field}[{i}]"), "is a duplicate")),
            Some(id) => out.push(id),
            None => r.errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "must be a schedule id (UUID)",
            )),
        }
    }
    (r.errors.len() == before).then_some(out)
}

#[utoipa::path(post, path = "/v1/schedules/bulk/update", operation_id = "bulk_update", tag = "bulk",
    request_body = crate::api::openapi::types::BulkUpdateRequest,
    responses(
        (status = 200, description = "All updated", body = crate::api::bulk::BulkResponse),
        (status = 422, description = "Nothing written: the failing items with their errors, or a malformed request", content(
            (crate::api::bulk::BulkResponse = "application/json"),
            (crate::api::Problem = "application/problem+json"),
        )),
        (status = 502, description = "A job type's plugin failed", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let body = json_body(&bytes, false)?;
    let mut r = Reader::new(&body, "").map_err(|e| Problem::invalid_fields(vec![e]))?;
    r.deny_unknown(&["schedule_ids", "changes"]);
    let ids = ids_of(&mut r, "schedule_ids");
    let changes = match r.value("changes") {
        Some(c @ Value::Object(_)) => Some(c.clone()),
        Some(_) => {
            r.errors
                .push(FieldError::new("changes", "must be a JSON object"));
            None
        }
        None => {
            r.errors.push(FieldError::new("changes", "is required"));
            None
        }
    };
    check(r.errors)?;
    let (ids, changes) = (ids.expect("checked"), changes.expect("checked"));
    let outcomes = state
        .scheduler
        .bulk_update(user, &ids, |s| body::patch(&changes, s.timezone))
        .await?;
    let ids: Vec<Option<ScheduleId>> = ids.into_iter().map(Some).collect();
    Ok(respond(
        &state,
        StatusCode::OK,
        true,
        "updated",
        &ids,
        outcomes,
    ))
}

#[utoipa::path(post, path = "/v1/schedules/bulk/{action}", operation_id = "bulk_transition", tag = "bulk",
    params(("action" = crate::api::openapi::types::BulkAction, Path)),
    request_body = crate::api::openapi::types::BulkTransitionRequest,
    responses(
        (status = 200, description = "Per-item outcome; items that cannot make the transition fail alone", body = crate::api::bulk::BulkResponse),
        (status = 404, description = "Unknown action", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn transition(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(action): Path<String>,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let (action, done) = match action.as_str() {
        "pause" => (StatusAction::Pause, "paused"),
        "resume" => (StatusAction::Resume, "resumed"),
        "cancel" => (StatusAction::Cancel, "cancelled"),
        _ => return Err(Problem::not_found("no such route")),
    };
    let body = json_body(&bytes, false)?;
    let mut r = Reader::new(&body, "").map_err(|e| Problem::invalid_fields(vec![e]))?;
    r.deny_unknown(&["schedule_ids", "filter"]);
    let ids = match (r.has("schedule_ids"), r.has("filter")) {
        (true, false) => ids_of(&mut r, "schedule_ids"),
        (false, true) => {
            let filter = read_filter(&mut r);
            check(std::mem::take(&mut r.errors))?;
            Some(matching(&state, user, filter.expect("checked"), action).await?)
        }
        _ => {
            r.errors
                .push(FieldError::new("", "give either schedule_ids or filter"));
            None
        }
    };
    check(r.errors)?;
    let ids = ids.expect("checked");
    let outcomes = state
        .scheduler
        .bulk_transition(user, ids.clone(), action)
        .await?;
    let ids: Vec<Option<ScheduleId>> = ids.into_iter().map(Some).collect();
    Ok(respond(&state, StatusCode::OK, false, done, &ids, outcomes))
}

fn read_filter(r: &mut Reader) -> Option<ScheduleFilter> {
    let Some(v) = r.value("filter") else {
        r.errors
            .push(FieldError::new("filter", "must be a JSON object"));
        return None;
    };
    let mut f = match Reader::new(v, "filter") {
        Ok(f) => f,
        Err(e) => {
            r.errors.push(e);
            return None;
        }
    };
    f.deny_unknown(&["status", "job_type", "priority"]);
    let filter = ScheduleFilter {
        status: f.choice("status", ScheduleStatus::parse, ScheduleStatus::choices()),
        job_type: f.string("job_type", 1, limits::JOB_TYPE_MAX),
        priority: f.choice("priority", Priority::parse, Priority::choices()),
    };
    r.errors.extend(f.errors);
    Some(filter)
}

/// The caller's schedules matching `filter` whose status allows `action` (the others are not
/// matched), at most `MAX_ITEMS`: more is a 422 asking for a narrower filter.
async fn matching(
    state: &AppState,
    user: UserId,
    filter: ScheduleFilter,
    action: StatusAction,
) -> Result<Vec<ScheduleId>, Problem> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .scheduler
            .list(user, filter.clone(), after, 1000)
            .await?;
        let done = page.len() < 1000;
        after = page.last().map(|s| s.id);
        out.extend(
            page.iter()
                .filter(|s| applies_to(action, s.status()))
                .map(|s| s.id),
        );
        if out.len() > MAX_ITEMS {
            return Err(Problem::invalid_fields(vec![FieldError::new(
                "filter",
                format!("matches more than {MAX_ITEMS} schedules; narrow it"),
            )]));
        }
        if done {
            return Ok(out);
        }
    }
}
