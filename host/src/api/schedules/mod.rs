//! `/v1/schedules` and the operations on one schedule. Handlers parse, call the service and
//! render; the rules live in `service`.

pub(crate) mod body;
pub mod planned;
pub mod view;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use self::view::{ExecutionView, ScheduleView};
use super::auth::AuthUser;
use super::{AppState, Problem};
use crate::model::{ExecutionStatus, Priority, ScheduleId, ScheduleStatus, StatusAction};
use crate::recurrence::FieldError;
use crate::service::{RunOptions, ServiceError};
use crate::store::ScheduleFilter;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub type RawQuery = Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>;

/// Query parameters checked like bodies: unknown names and bad values are listed together.
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    pub errors: Vec<FieldError>,
}

impl QueryParams {
    pub fn new(raw: RawQuery, known: &[&str]) -> Result<Self, Problem> {
        let Query(pairs) = raw.map_err(|e| Problem::bad_request(e.body_text()))?;
        let mut errors = Vec::new();
        for (k, _) in &pairs {
            if !known.contains(&k.as_str()) {
                errors.push(FieldError::new(k.clone(), "unknown query parameter"));
            }
        }
        Ok(Self { pairs, errors })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn parse<T>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let raw = self.get(name)?.to_string();
        let v = parse(&raw);
        if v.is_none() {
            self.errors
                .push(FieldError::new(name, format!("must be {expected}")));
        }
        v
    }

    pub fn limit(&mut self, default: usize, max: usize) -> usize {
        self.parse(
            "limit",
            |s| s.parse::<usize>().ok().filter(|n| (1..=max).contains(n)),
            &format!("an integer from 1 to {max}"),
        )
        .unwrap_or(default)
    }

    pub fn flag(&mut self, name: &str) -> bool {
        self.parse(
            name,
            |s| match s {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            "true or false",
        )
        .unwrap_or(false)
    }

    pub fn finish(self) -> Result<(), Problem> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::invalid_fields(self.errors))
        }
    }
}

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
            ServiceError::Store(e) => Problem::internal(e),
            ServiceError::Plugin(m) => Problem::new(StatusCode::BAD_GATEWAY, "Plugin Failure", m),
        }
    }
}

/// A path id that is not a UUID names nothing: 404, like another user's schedule.
pub fn parse_id(id: &str) -> Result<ScheduleId, Problem> {
    uuid::Uuid::parse_str(id).map_err(|_| Problem::not_found("no such schedule"))
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

pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let body = json_body(&bytes, false)?;
    let (parts, errors) = body::create(&body);
    let draft = state.scheduler.prepare_create(parts, errors).await?;
    let s = state.scheduler.create(user, draft).await?;
    Ok((StatusCode::CREATED, one(&state, &s)).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    query: RawQuery,
) -> Result<Json<Page<ScheduleView>>, Problem> {
    let mut q = QueryParams::new(
        query,
        &["status", "job_type", "priority", "limit", "cursor"],
    )?;
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
    let after = q.parse("cursor", decode_cursor, "a cursor from a previous page");
    q.finish()?;
    let mut items = state.scheduler.list(user, filter, after, limit + 1).await?;
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more {
        items.last().map(|s| encode_cursor(s.id))
    } else {
        None
    };
    let now = state.scheduler.now();
    Ok(Json(Page {
        items: items.iter().map(|s| ScheduleView::new(s, now)).collect(),
        next_cursor,
    }))
}

/// Cursors are opaque to clients: a version tag and the last id of the page.
fn encode_cursor(id: ScheduleId) -> String {
    format!("s1.{}", id.simple())
}

fn decode_cursor(s: &str) -> Option<ScheduleId> {
    s.strip_prefix("s1.")
        .and_then(|h| uuid::Uuid::parse_str(h).ok())
}

pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    query: RawQuery,
) -> Result<Json<ScheduleView>, Problem> {
    QueryParams::new(query, &[])?.finish()?;
    // The schedule and its latest runs in one read: a hop to a reader thread is most of a
    // point read's cost.
    let (s, recent) = state
        .scheduler
        .get_with_recent(user, parse_id(&id)?, 5)
        .await?;
    let tz = s.timezone;
    let mut view = ScheduleView::from_owned(s, state.scheduler.now());
    view.recent_executions = Some(recent.iter().map(|e| ExecutionView::new(e, tz)).collect());
    Ok(Json(view))
}

pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<ScheduleView>, Problem> {
    let id = parse_id(&id)?;
    let body = json_body(&bytes, false)?;
    let current = state.scheduler.get(user, id).await?;
    let (patch, errors) = body::patch(&body, current.timezone);
    let s = state.scheduler.update(user, id, patch, errors).await?;
    Ok(one(&state, &s))
}

pub async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    query: RawQuery,
) -> Result<StatusCode, Problem> {
    QueryParams::new(query, &[])?.finish()?;
    state.scheduler.delete(user, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn pause(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    query: RawQuery,
) -> Result<Json<ScheduleView>, Problem> {
    QueryParams::new(query, &[])?.finish()?;
    Ok(one(
        &state,
        &state
            .scheduler
            .transition(user, parse_id(&id)?, StatusAction::Pause)
            .await?,
    ))
}

pub async fn cancel(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    query: RawQuery,
) -> Result<Json<ScheduleView>, Problem> {
    QueryParams::new(query, &[])?.finish()?;
    Ok(one(
        &state,
        &state
            .scheduler
            .transition(user, parse_id(&id)?, StatusAction::Cancel)
            .await?,
    ))
}

pub async fn resume(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    query: RawQuery,
) -> Result<Json<ScheduleView>, Problem> {
    let id = parse_id(&id)?;
    let mut q = QueryParams::new(query, &["run_immediately"])?;
    let now = q.flag("run_immediately");
    q.finish()?;
    Ok(one(&state, &state.scheduler.resume(user, id, now).await?))
}

pub async fn clone(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    query: RawQuery,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    QueryParams::new(query, &[])?.finish()?;
    let body = json_body(&bytes, true)?;
    let source = state.scheduler.get(user, id).await?;
    let (patch, errors) = body::patch(&body, source.timezone);
    let s = state
        .scheduler
        .clone_schedule(user, id, patch, errors)
        .await?;
    Ok((StatusCode::CREATED, one(&state, &s)).into_response())
}

/// Run now: `?count_toward_max_runs=true` (or the same field in a JSON body) counts it.
pub async fn run(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    query: RawQuery,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let mut q = QueryParams::new(query, &["count_toward_max_runs"])?;
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

pub async fn executions(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    query: RawQuery,
) -> Result<Json<Page<ExecutionView>>, Problem> {
    let id = parse_id(&id)?;
    let mut q = QueryParams::new(query, &["status", "limit", "cursor"])?;
    let status = q.parse(
        "status",
        ExecutionStatus::parse,
        &format!("one of: {}", ExecutionStatus::choices()),
    );
    let limit = q.limit(50, 1000);
    let after = q.parse(
        "cursor",
        decode_exec_cursor,
        "a cursor from a previous page",
    );
    q.finish()?;
    let (s, mut items) = state
        .scheduler
        .executions(user, id, status, after, limit + 1)
        .await?;
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more {
        items.last().map(|e| {
            format!(
                "e1.{}.{}",
                e.scheduled_for.timestamp_micros(),
                e.id.simple()
            )
        })
    } else {
        None
    };
    let tz = s.timezone;
    Ok(Json(Page {
        items: items.iter().map(|e| ExecutionView::new(e, tz)).collect(),
        next_cursor,
    }))
}

fn decode_exec_cursor(s: &str) -> Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> {
    let mut parts = s.strip_prefix("e1.")?.splitn(2, '.');
    let micros: i64 = parts.next()?.parse().ok()?;
    let id = uuid::Uuid::parse_str(parts.next()?).ok()?;
    Some((chrono::DateTime::from_timestamp_micros(micros)?, id))
}
