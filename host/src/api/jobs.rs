//! `GET /v1/jobs`: the caller's jobs that the embedded (local) job system has recorded, paged
//! by cursor.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use super::auth::AuthUser;
use super::{AppState, Problem};
use crate::model::LocalJobRecord;
use crate::service::ServiceError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobList {
    pub items: Vec<JobView>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub job_id: String,
    pub user_id: String,
    pub job_type: String,
    #[schema(value_type = crate::api::openapi::types::JobStateSchema)]
    pub status: crate::jobsystem::JobState,
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: String,
}

impl From<LocalJobRecord> for JobView {
    fn from(j: LocalJobRecord) -> Self {
        Self {
            job_id: j.job_id,
            user_id: j.user_id,
            job_type: j.job_type,
            status: j.state,
            idempotency_key: j.idempotency_key,
            payload: j.payload,
            result: j.result,
            error: j.error,
            created_at: j
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<JobList>, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let limit = match q.limit.as_deref() {
        None => 50,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(Problem::invalid(vec![super::problem::ProblemFieldError {
                    field: "limit".into(),
                    message: "must be an integer from 1 to 1000".into(),
                }]));
            }
        },
    };
    // The cursor is the last job id of the previous page; it is opaque to clients.
    let after = match q.cursor {
        None => None,
        Some(c) => Some(
            uuid::Uuid::parse_str(&c)
                .map_err(|_| Problem::bad_request("invalid cursor"))?
                .to_string(),
        ),
    };
    let items = state
        .scheduler
        .jobs(user, after, limit + 1)
        .await
        .map_err(Problem::internal)?;
    let more = items.len() > limit;
    let items: Vec<JobView> = items.into_iter().take(limit).map(JobView::from).collect();
    let next_cursor = if more {
        items.last().map(|j| j.job_id.clone())
    } else {
        None
    };
    Ok(Json(JobList { items, next_cursor }))
}

pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<JobView>, Problem> {
    let not_found = || Problem::not_found(format!("no job {id}"));
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(not_found());
    }
    match state.scheduler.job(user, id.clone()).await {
        Ok(j) => Ok(Json(j.into())),
        Err(ServiceError::NotFound) => Err(not_found()),
        Err(e) => Err(Problem::internal(e)),
    }
}
