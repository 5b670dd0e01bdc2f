//! `/v1/feeds`: calendar feeds. Create one (the answer carries its URL, the only time the
//! secret is shown), list and revoke the caller's; and `/v1/ics/{secret}`, the URL itself,
//! which calendar apps fetch without a bearer token: the secret is the credential.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::auth::AuthUser;
use super::extract::{PathId, QueryParams};
use super::fields::Reader;
use super::schedules::json_body;
use super::{AppState, Problem};
use crate::model::{Feed, FeedFilter, limits};
use crate::recurrence::FieldError;
use crate::service::ServiceError;
use crate::timezone::format_utc;

const FIELDS: &[&str] = &["job_type", "schedule_ids", "include_past_runs"];
/// Schedule ids one feed may name.
const MAX_IDS: usize = 500;

pub enum FeedKind {}
impl super::extract::IdKind for FeedKind {
    const NOT_FOUND: &'static str = "no such feed";
}
type FeedRef = PathId<FeedKind>;

#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedView {
    pub feed_id: String,
    #[schema(value_type = Object)]
    pub filter: serde_json::Value,
    pub created_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedFeed {
    pub feed_id: String,
    /// The feed's address; it carries the secret and is shown only now.
    pub url: String,
    #[schema(value_type = Object)]
    pub filter: serde_json::Value,
    pub created_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedList {
    pub feeds: Vec<FeedView>,
}

fn view(f: &Feed) -> FeedView {
    FeedView {
        feed_id: f.id.to_string(),
        filter: serde_json::to_value(&f.filter).unwrap_or_default(),
        created_at: format_utc(f.created_at),
    }
}

/// The origin the client reached us at, for absolute links: `Host` as sent when it is a plain
/// host name or address with an optional port (anything else could inject text into a feed),
/// `http` unless a proxy says `X-Forwarded-Proto: https`.
pub(crate) fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

#[utoipa::path(post, path = "/v1/feeds", operation_id = "feed_create", tag = "feeds",
    request_body = crate::api::openapi::types::CreateFeedRequest,
    responses(
        (status = 201, description = "The feed and its URL (shown once)", body = CreatedFeed),
        (status = 422, description = "Field errors", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let body = if bytes.is_empty() {
        serde_json::json!({})
    } else {
        json_body(&bytes, false)?
    };
    let mut r = Reader::new(&body, "").map_err(|e| Problem::invalid_fields(vec![e]))?;
    r.deny_unknown(FIELDS);
    let job_type = r.string("job_type", 1, limits::JOB_TYPE_MAX);
    let include_past_runs = r.boolean("include_past_runs").unwrap_or(false);
    let mut schedule_ids = Vec::new();
    match r.value("schedule_ids") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Array(items)) if items.len() <= MAX_IDS => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()) {
                    Some(id) => schedule_ids.push(id),
                    // A placeholder keeps the positions of the ones after it; the request
                    // fails, so it is never stored.
                    None => {
                        schedule_ids.push(uuid::Uuid::nil());
                        r.errors.push(FieldError::new(
                            format!("schedule_ids[{i}]"),
                            "must be a UUID",
                        ))
                    }
                }
            }
        }
        Some(_) => r.errors.push(FieldError::new(
            "schedule_ids",
            format!("must be a list of at most {MAX_IDS} schedule ids"),
        )),
    }
    let filter = FeedFilter {
        job_type,
        schedule_ids,
        include_past_runs,
    };
    let (feed, secret) = state.scheduler.create_feed(user, filter, r.errors).await?;
    let v = view(&feed);
    let created = CreatedFeed {
        url: format!("{}/v1/ics/{secret}.ics", origin(&headers)),
        feed_id: v.feed_id,
        filter: v.filter,
        created_at: v.created_at,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[utoipa::path(get, path = "/v1/feeds", operation_id = "feed_list", tag = "feeds",
    responses(
        (status = 200, description = "The caller's feeds (their URLs are not kept)", body = FeedList),
        (status = 422, description = "Unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    q: QueryParams,
) -> Result<Json<FeedList>, Problem> {
    q.none()?;
    let feeds = state.scheduler.feeds(user).await?;
    Ok(Json(FeedList {
        feeds: feeds.iter().map(view).collect(),
    }))
}

#[utoipa::path(delete, path = "/v1/feeds/{id}", operation_id = "feed_revoke", tag = "feeds",
    params(("id" = String, Path, format = Uuid, description = "Feed id")),
    responses(
        (status = 204, description = "Revoked: its URL answers 404 from now on"),
        (status = 404, description = "No such feed", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): FeedRef,
    q: QueryParams,
) -> Result<StatusCode, Problem> {
    q.none()?;
    match state.scheduler.revoke_feed(user, id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(ServiceError::NotFound) => Err(FeedRef::not_found()),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/v1/ics/{secret}", operation_id = "feed_calendar", tag = "feeds",
    security(()),
    params(("secret" = String, Path, description = "The secret of the feed's URL, `.ics` optional")),
    responses(
        (status = 200, description = "The feed as iCalendar", content_type = "text/calendar", body = String),
        (status = 304, description = "Unchanged since the `If-None-Match` tag"),
        (status = 404, description = "No such feed", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn calendar(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let secret = secret.strip_suffix(".ics").unwrap_or(&secret);
    let feed = match state
        .scheduler
        .feed_calendar(secret, &origin(&headers))
        .await
    {
        Ok(f) => f,
        Err(ServiceError::NotFound) => return Err(FeedRef::not_found()),
        Err(e) => return Err(e.into()),
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == feed.etag || t.trim() == "*")
        });
    let common = [
        (header::ETAG, feed.etag.clone()),
        (header::CACHE_CONTROL, "private, max-age=300".to_string()),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        StatusCode::OK,
        common,
        [(
            header::CONTENT_TYPE,
            "text/calendar; charset=utf-8".to_string(),
        )],
        feed.body,
    )
        .into_response())
}
