//! `/v1/schedules/series`: create a series (its episodes become schedules), read it with each
//! episode's state, and cancel it (`DELETE`: what has not run is cancelled, history stays).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::auth::AuthUser;
use super::extract::{PathId, QueryParams, SeriesRef};
use super::fields::Reader;
use super::schedules::json_body;
use super::{AppState, Problem};
use crate::model::limits;
use crate::model::{Priority, SeriesStatus};
use crate::service::with_field_errors;
use crate::service::{MAX_EPISODES, SeriesParts, SeriesWithEpisodes};
use crate::timezone::{format_local, format_utc, utc_to_local};

const FIELDS: &[&str] = &[
    "name",
    "template_id",
    "episode_count",
    "schedule_rule",
    "job_type",
    "job_config",
    "timezone",
    "priority",
];

#[derive(Serialize)]
pub struct SeriesView {
    pub series_id: String,
    pub name: String,
    pub template_id: Option<String>,
    pub episode_count: u32,
    /// The lowest episode that has not completed yet (`episode_count + 1` when all have).
    pub current_episode: u32,
    pub status: &'static str,
    pub schedule_rule: serde_json::Value,
    pub timezone: String,
    pub job_type: String,
    pub job_config: serde_json::Value,
    pub episodes: Vec<EpisodeView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize)]
pub struct EpisodeView {
    pub episode: u32,
    pub schedule_id: String,
    /// `completed` once it ran successfully, else its schedule's status (`active` = planned).
    pub status: &'static str,
    pub scheduled_at: Option<String>,
    pub scheduled_at_local: Option<String>,
    pub failed_runs: u32,
    pub last_error: Option<String>,
}

fn view(v: SeriesWithEpisodes) -> SeriesView {
    let s = v.series;
    let tz = s.timezone;
    let episodes = v
        .episodes
        .iter()
        .map(|e| {
            let k = e.episode.unwrap_or(0);
            EpisodeView {
                episode: k,
                schedule_id: e.id.to_string(),
                status: if k < s.current_episode {
                    "completed"
                } else {
                    e.status().as_str()
                },
                scheduled_at: e.scheduled_at().map(format_utc),
                scheduled_at_local: e.scheduled_at().map(|t| format_local(utc_to_local(&tz, t))),
                failed_runs: e.stats.failed,
                last_error: e.stats.last_error.clone(),
            }
        })
        .collect();
    SeriesView {
        series_id: s.id.to_string(),
        name: s.name,
        template_id: s.template_id.map(|t| t.to_string()),
        episode_count: s.episode_count,
        current_episode: s.current_episode,
        status: match s.status {
            SeriesStatus::Active => "active",
            SeriesStatus::Paused => "paused",
            SeriesStatus::Completed => "completed",
            SeriesStatus::Cancelled => "cancelled",
        },
        schedule_rule: serde_json::to_value(&s.schedule_rule).unwrap_or_default(),
        timezone: s.timezone.name().to_string(),
        job_type: s.job_type,
        job_config: s.job_config,
        episodes,
        created_at: format_utc(s.created_at),
        updated_at: format_utc(s.updated_at),
    }
}

#[utoipa::path(post, path = "/v1/schedules/series", operation_id = "series_create", tag = "series",
    request_body = crate::api::openapi::types::CreateSeriesRequest,
    responses(
        (status = 201, description = "The series and its episodes' schedules", body = crate::api::openapi::types::SeriesViewSchema),
        (status = 404, description = "No such template", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job type's plugin failed", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let body = json_body(&bytes, false)?;
    let mut r = Reader::new(&body, "").map_err(|e| Problem::invalid_fields(vec![e]))?;
    r.deny_unknown(FIELDS);
    let template_id = match r.value("template_id") {
        None => None,
        Some(v) => match v.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()) {
            Some(u) => Some(u),
            None => {
                r.errors.push(crate::recurrence::FieldError::new(
                    "template_id",
                    "must be a UUID",
                ));
                r.failed.insert("template_id".into());
                None
            }
        },
    };
    let parts = SeriesParts {
        name: r.string("name", 1, limits::NAME_MAX),
        template_id,
        episode_count: r
            .uint("episode_count", 1, MAX_EPISODES.into())
            .map(|n| n as u32),
        schedule_rule: r.rule("schedule_rule"),
        job_type: r.string("job_type", 1, limits::JOB_TYPE_MAX),
        job_config: r.value("job_config").cloned(),
        timezone: r.timezone("timezone"),
        priority: r.choice("priority", Priority::parse, Priority::choices()),
        failed: r.failed.clone(),
    };
    let checked = state.scheduler.prepare_series(user, parts).await;
    let new = with_field_errors(r.errors, checked).map_err(not_found_series)?;
    let created = state
        .scheduler
        .create_series(new)
        .await
        .map_err(not_found_series)?;
    Ok((StatusCode::CREATED, Json(view(created))).into_response())
}

#[utoipa::path(get, path = "/v1/schedules/series/{id}", operation_id = "series_get", tag = "series",
    params(("id" = String, Path, format = Uuid, description = "Series id")),
    responses(
        (status = 200, description = "The series with `current_episode` and each episode's status", body = crate::api::openapi::types::SeriesViewSchema),
        (status = 404, description = "No such series", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): SeriesRef,
    q: QueryParams,
) -> Result<Json<SeriesView>, Problem> {
    q.none()?;
    let s = state
        .scheduler
        .get_series(user, id)
        .await
        .map_err(not_found_series)?;
    Ok(Json(view(s)))
}

#[utoipa::path(delete, path = "/v1/schedules/series/{id}", operation_id = "series_cancel", tag = "series",
    params(("id" = String, Path, format = Uuid, description = "Series id")),
    responses(
        (status = 200, description = "Cancelled: episodes that have not run are cancelled", body = crate::api::openapi::types::SeriesViewSchema),
        (status = 404, description = "No such series", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): SeriesRef,
    q: QueryParams,
) -> Result<Json<SeriesView>, Problem> {
    q.none()?;
    let s = state
        .scheduler
        .cancel_series(user, id)
        .await
        .map_err(not_found_series)?;
    Ok(Json(view(s)))
}

fn not_found_series(e: crate::service::ServiceError) -> Problem {
    match e {
        crate::service::ServiceError::NotFound => SeriesRef::not_found(),
        other => Problem::from(other),
    }
}
