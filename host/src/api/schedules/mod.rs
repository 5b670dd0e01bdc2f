//! `/v1/schedules` and the operations on one schedule. Handlers parse, call the service and
//! render; the rules live in `service`.

pub(crate) mod body;
pub mod planned;
pub mod view;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use self::view::{ExecutionView, ScheduleView};
use super::auth::AuthUser;
use super::extract::{Page, PathId, QueryParams, ScheduleRef};
use super::{AppState, Problem};
use crate::model::{ExecutionStatus, Priority, ScheduleId, ScheduleStatus, StatusAction};
use crate::service::{RunOptions, ServiceError, with_field_errors};
use crate::store::ScheduleFilter;

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(errors) => Problem::invalid_fields(errors),
            ServiceError::NotFound => Problem::not_found("no such schedule"),
            ServiceError::Conflict { current, .. } => {
                let mut p = Problem::new(StatusCode::CONFLICT, "Conflict", e.to_string());
                p.current_status = Some(current.as_str());
                p
            }
            ServiceError::ConflictMessage(m) => Problem::new(StatusCode::CONFLICT, "Conflict", m),
            ServiceError::Final { current, .. } => {
                let mut p = Problem::new(StatusCode::CONFLICT, "Conflict", e.to_string());
                p.current_status = Some(current.as_str());
                p
            }
            ServiceError::Store(e) => e.into(),
            ServiceError::Plugin(m) => Problem::new(StatusCode::BAD_GATEWAY, "Plugin Failure", m),
        }
    }
}

/// Malformed JSON is a 400; an empty body reads as `{}` where a body is optional.
pub fn json_body(bytes: &Bytes, optional: bool) -> Result<Value, Problem> {
    if optional && bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes).map_err(|e| Problem::bad_request(format!("malformed JSON: {e}")))
}

/// One schedule as the API shows it, "now" read from the scheduler's clock like every other
/// view (a test's manual clock included).
fn one(state: &AppState, s: &crate::model::Schedule) -> Json<ScheduleView> {
    Json(ScheduleView::new(s, state.scheduler.now()))
}

#[utoipa::path(post, path = "/v1/schedules", operation_id = "schedules_create", tag = "schedules",
    request_body = crate::api::openapi::types::CreateScheduleRequest,
    responses(
        (status = 201, description = "Created", body = crate::api::schedules::view::ScheduleView),
        (status = 422, description = "Field errors", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let body = json_body(&bytes, false)?;
    let (parts, errors) = body::create(&body);
    let draft = with_field_errors(errors, state.scheduler.prepare_create(parts).await)?;
    let s = state.scheduler.create(user, draft).await?;
    Ok((StatusCode::CREATED, one(&state, &s)).into_response())
}

#[utoipa::path(get, path = "/v1/schedules", operation_id = "schedules_list", tag = "schedules",
    params(
        ("status" = Option<crate::model::ScheduleStatus>, Query),
        ("job_type" = Option<String>, Query),
        ("priority" = Option<crate::model::Priority>, Query),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, default 50"),
        ("cursor" = Option<String>, Query, description = "Opaque `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of the caller's schedules", body = crate::api::extract::Page<crate::api::schedules::view::ScheduleView>),
        (status = 422, description = "Invalid or unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    q: QueryParams,
) -> Result<Json<Page<ScheduleView>>, Problem> {
    let mut q = q.known(&["status", "job_type", "priority", "limit", "cursor"]);
    let filter = ScheduleFilter {
        status: q.parse(
            "status",
            ScheduleStatus::parse,
            &format!("one of: {}", ScheduleStatus::choices()),
        ),
        job_type: q.get("job_type").map(str::to_string),
        priority: q.parse(
            "priority",
            Priority::parse,
            &format!("one of: {}", Priority::choices()),
        ),
    };
    let limit = q.limit(50, 1000);
    let after = q.cursor(decode_cursor);
    q.finish()?;
    let rows = state.scheduler.list(user, filter, after, limit + 1).await?;
    let now = state.scheduler.now();
    Ok(Json(Page::cut(
        rows,
        limit,
        |s| encode_cursor(s.id),
        |s| ScheduleView::new(&s, now),
    )))
}

/// Cursors are opaque to clients: a version tag and the last id of the page.
fn encode_cursor(id: ScheduleId) -> String {
    format!("s1.{}", id.simple())
}

fn decode_cursor(s: &str) -> Option<ScheduleId> {
    s.strip_prefix("s1.")
        .and_then(|h| uuid::Uuid::parse_str(h).ok())
}

#[utoipa::path(get, path = "/v1/schedules/{id}", operation_id = "schedules_get", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    responses(
        (status = 200, description = "The schedule with its recent executions", body = crate::api::schedules::view::ScheduleView),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    q: QueryParams,
) -> Result<Json<ScheduleView>, Problem> {
    q.none()?;
    // The schedule and its latest runs in one read: a hop to a reader thread is most of a
    // point read's cost.
    let (s, recent) = state.scheduler.get_with_recent(user, id, 5).await?;
    let tz = s.timezone;
    let mut view = ScheduleView::from_owned(s, state.scheduler.now());
    view.recent_executions = Some(recent.iter().map(|e| ExecutionView::new(e, tz)).collect());
    Ok(Json(view))
}

#[utoipa::path(put, path = "/v1/schedules/{id}", operation_id = "schedules_update", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    request_body = crate::api::openapi::types::UpdateScheduleRequest,
    responses(
        (status = 200, description = "Updated", body = crate::api::schedules::view::ScheduleView),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The schedule can no longer change", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    bytes: Bytes,
) -> Result<Json<ScheduleView>, Problem> {
    let body = json_body(&bytes, false)?;
    let current = state.scheduler.get(user, id).await?;
    let (patch, errors) = body::patch(&body, current.timezone);
    let checked = state.scheduler.check_update(&current, patch).await;
    let s = state
        .scheduler
        .write_update(with_field_errors(errors, checked)?)
        .await?;
    Ok(one(&state, &s))
}

#[utoipa::path(delete, path = "/v1/schedules/{id}", operation_id = "schedules_delete", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    q: QueryParams,
) -> Result<StatusCode, Problem> {
    q.none()?;
    state.scheduler.delete(user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/schedules/{id}/pause", operation_id = "pause", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    responses(
        (status = 200, description = "Paused", body = crate::api::schedules::view::ScheduleView),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status (`current_status`)", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn pause(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    q: QueryParams,
) -> Result<Json<ScheduleView>, Problem> {
    q.none()?;
    Ok(one(
        &state,
        &state
            .scheduler
            .transition(user, id, StatusAction::Pause)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/schedules/{id}/cancel", operation_id = "cancel", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    responses(
        (status = 200, description = "Cancelled", body = crate::api::schedules::view::ScheduleView),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status (`current_status`)", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    q: QueryParams,
) -> Result<Json<ScheduleView>, Problem> {
    q.none()?;
    Ok(one(
        &state,
        &state
            .scheduler
            .transition(user, id, StatusAction::Cancel)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/schedules/{id}/resume", operation_id = "resume", tag = "schedules",
    params(
        ("id" = String, Path, format = Uuid, description = "Schedule id"),
        ("run_immediately" = Option<bool>, Query),
    ),
    responses(
        (status = 200, description = "Resumed", body = crate::api::schedules::view::ScheduleView),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status (`current_status`)", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn resume(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    q: QueryParams,
) -> Result<Json<ScheduleView>, Problem> {
    let mut q = q.known(&["run_immediately"]);
    let now = q.flag("run_immediately");
    q.finish()?;
    Ok(one(&state, &state.scheduler.resume(user, id, now).await?))
}

#[utoipa::path(post, path = "/v1/schedules/{id}/clone", operation_id = "clone", tag = "schedules",
    params(("id" = String, Path, format = Uuid, description = "Schedule id")),
    request_body(content = Option<crate::api::openapi::types::UpdateScheduleRequest>, description = "Overrides; optional"),
    responses(
        (status = 201, description = "The copy", body = crate::api::schedules::view::ScheduleView),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn clone(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    q: QueryParams,
    bytes: Bytes,
) -> Result<Response, Problem> {
    q.none()?;
    let body = json_body(&bytes, true)?;
    let source = state.scheduler.get(user, id).await?;
    let (patch, errors) = body::patch(&body, source.timezone);
    let checked = state.scheduler.prepare_clone(&source, patch).await;
    let s = state
        .scheduler
        .insert(with_field_errors(errors, checked)?)
        .await?;
    Ok((StatusCode::CREATED, one(&state, &s)).into_response())
}

/// Run now: `?count_toward_max_runs=true` (or the same field in a JSON body) counts it.
#[utoipa::path(post, path = "/v1/schedules/{id}/run", operation_id = "run", tag = "schedules",
    params(
        ("id" = String, Path, format = Uuid, description = "Schedule id"),
        ("count_toward_max_runs" = Option<bool>, Query),
    ),
    request_body(content = Option<crate::api::openapi::types::RunRequest>, description = "Optional"),
    responses(
        (status = 201, description = "The manual execution", body = crate::api::schedules::view::ExecutionView),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not runnable in its current status", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown parameters", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn run(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    q: QueryParams,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let mut q = q.known(&["count_toward_max_runs"]);
    let mut count = q.flag("count_toward_max_runs");
    let body = json_body(&bytes, true)?;
    match crate::api::fields::Reader::new(&body, "") {
        Ok(mut r) => {
            r.deny_unknown(&["count_toward_max_runs"]);
            count |= r.boolean("count_toward_max_runs").unwrap_or(false);
            q.errors.extend(r.errors);
        }
        Err(e) => q.errors.push(e),
    }
    q.finish()?;
    let e = state
        .scheduler
        .run_now(
            user,
            id,
            RunOptions {
                count_toward_max_runs: count,
            },
        )
        .await?;
    let s = state.scheduler.get(user, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ExecutionView::new(&e, s.timezone)),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/schedules/{id}/executions", operation_id = "executions", tag = "schedules",
    params(
        ("id" = String, Path, format = Uuid, description = "Schedule id"),
        ("status" = Option<crate::model::ExecutionStatus>, Query),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Default 50"),
        ("cursor" = Option<String>, Query, description = "Opaque `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of executions, newest first", body = crate::api::extract::Page<crate::api::schedules::view::ExecutionView>),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn executions(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    q: QueryParams,
) -> Result<Json<Page<ExecutionView>>, Problem> {
    let mut q = q.known(&["status", "limit", "cursor"]);
    let status = q.parse(
        "status",
        ExecutionStatus::parse,
        &format!("one of: {}", ExecutionStatus::choices()),
    );
    let limit = q.limit(50, 1000);
    let after = q.cursor(decode_exec_cursor);
    q.finish()?;
    let (s, rows) = state
        .scheduler
        .executions(user, id, status, after, limit + 1)
        .await?;
    let tz = s.timezone;
    Ok(Json(Page::cut(
        rows,
        limit,
        |e| {
            format!(
                "e1.{}.{}",
                e.scheduled_for.timestamp_micros(),
                e.id.simple()
            )
        },
        |e| ExecutionView::new(&e, tz),
    )))
}

fn decode_exec_cursor(s: &str) -> Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> {
    let mut parts = s.strip_prefix("e1.")?.splitn(2, '.');
    let micros: i64 = parts.next()?.parse().ok()?;
    let id = uuid::Uuid::parse_str(parts.next()?).ok()?;
    Some((chrono::DateTime::from_timestamp_micros(micros)?, id))
}
