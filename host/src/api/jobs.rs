//! `GET /v1/jobs`: the caller's jobs that the embedded (local) job system has recorded, paged
//! by cursor.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::auth::AuthUser;
use super::extract::{JobRef, Page, PathId, QueryParams};
use super::{AppState, Problem};
use crate::model::LocalJobRecord;
use crate::service::ServiceError;

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub job_id: String,
    pub user_id: String,
    pub job_type: String,
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

#[utoipa::path(get, path = "/v1/jobs", operation_id = "jobs_list", tag = "jobs",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, default 50"),
        ("cursor" = Option<String>, Query, format = Uuid, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "The caller's jobs in the local job system", body = crate::api::extract::Page<crate::api::jobs::JobView>),
        (status = 422, description = "Invalid query parameter", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    q: QueryParams,
) -> Result<Json<Page<JobView>>, Problem> {
    let mut q = q.known(&["limit", "cursor"]);
    let limit = q.limit(50, 1000);
    // The cursor is the last job id of the previous page; it is opaque to clients.
    let after = q.cursor(|c| uuid::Uuid::parse_str(c).ok().map(|u| u.to_string()));
    q.finish()?;
    let rows = state
        .scheduler
        .jobs(user, after, limit + 1)
        .await
        .map_err(Problem::from)?;
    Ok(Json(Page::cut(
        rows,
        limit,
        |j| j.job_id.clone(),
        JobView::from,
    )))
}

#[utoipa::path(get, path = "/v1/jobs/{id}", operation_id = "jobs_get", tag = "jobs",
    params(("id" = String, Path, format = Uuid, description = "Job id")),
    responses(
        (status = 200, description = "One job", body = crate::api::jobs::JobView),
        (status = 404, description = "No such job for this caller", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): JobRef,
) -> Result<Json<JobView>, Problem> {
    match state.scheduler.job(user, id.to_string()).await {
        Ok(j) => Ok(Json(j.into())),
        Err(ServiceError::NotFound) => Err(JobRef::not_found()),
        Err(e) => Err(e.into()),
    }
}
