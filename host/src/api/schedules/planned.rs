//! Planned runs: `GET /v1/schedules/{id}/next` (one schedule's next N occurrences) and
//! `GET /v1/schedules/upcoming` (the next runs of all the caller's schedules, merged in time
//! order). Both honour exceptions, `count`, `end_date`, `max_runs` and pause.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::api::auth::AuthUser;
use crate::api::extract::{PathId, QueryParams, ScheduleRef};
use crate::api::schedules::json_body;
use crate::api::{AppState, Problem};
use crate::model::{Priority, Schedule, ScheduleStatus};
use crate::service::with_field_errors;
use crate::store::ScheduleFilter;
use crate::timezone::{format_local, format_utc, utc_to_local};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Occurrences {
    pub occurrences: Vec<OccurrenceView>,
    /// The rule's DST handling, when it is a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::api::openapi::types::DstPolicySchema>)]
    pub dst_policy: Option<serde_json::Value>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OccurrenceView {
    pub at: String,
    pub at_local: String,
}

impl Occurrences {
    /// `runs` as `/next` shows them: each instant in UTC and in `tz`.
    fn in_zone(
        runs: Vec<DateTime<Utc>>,
        tz: chrono_tz::Tz,
        dst_policy: Option<crate::recurrence::DstPolicy>,
    ) -> Self {
        let occurrences = runs
            .into_iter()
            .map(|t| OccurrenceView {
                at: format_utc(t),
                at_local: format_local(utc_to_local(&tz, t)),
            })
            .collect();
        Occurrences {
            occurrences,
            dst_policy: dst_policy.map(super::view::dst_policy_json),
        }
    }
}

fn planned(
    state: &AppState,
    s: &Schedule,
    n: usize,
    until: Option<DateTime<Utc>>,
) -> Vec<DateTime<Utc>> {
    state.scheduler.planned(s, n, until)
}

#[utoipa::path(get, path = "/v1/schedules/{id}/next", operation_id = "next", tag = "planning",
    params(
        ("id" = String, Path, format = Uuid, description = "Schedule id"),
        ("count" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Default 10"),
    ),
    responses(
        (status = 200, description = "The next planned occurrences", body = crate::api::schedules::planned::Occurrences),
        (status = 404, description = "No such schedule", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn next(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id, _): ScheduleRef,
    q: QueryParams,
) -> Result<Json<Occurrences>, Problem> {
    let mut q = q.known(&["count"]);
    let n = q
        .parse(
            "count",
            |s| s.parse::<usize>().ok().filter(|n| (1..=1000).contains(n)),
            "an integer from 1 to 1000",
        )
        .unwrap_or(10);
    q.finish()?;
    let s = state.scheduler.get(user, id).await?;
    Ok(Json(Occurrences::in_zone(
        planned(&state, &s, n, None),
        s.timezone,
        s.dst_policy(),
    )))
}

#[utoipa::path(post, path = "/v1/schedules/preview", operation_id = "preview", tag = "planning",
    request_body = crate::api::openapi::types::PreviewRequest,
    responses(
        (status = 200, description = "The runs this timing would plan, as /next lists them", body = crate::api::schedules::planned::Occurrences),
        (status = 422, description = "Field errors", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn preview(
    State(state): State<AppState>,
    AuthUser(_): AuthUser,
    bytes: Bytes,
) -> Result<Json<Occurrences>, Problem> {
    let body = json_body(&bytes, false)?;
    let (parts, count, errors) = super::body::preview(&body);
    let tz = parts.timezone.unwrap_or(chrono_tz::UTC);
    let policy = parts.recurrence_rule.as_ref().map(|r| {
        parts
            .dst_policy
            .filter(|_| r.dst_policy.is_default())
            .unwrap_or(r.dst_policy)
    });
    let runs = with_field_errors(errors, state.scheduler.preview(parts, count))?;
    Ok(Json(Occurrences::in_zone(runs, tz, policy)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Upcoming {
    pub executions: Vec<UpcomingView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UpcomingView {
    pub schedule_id: String,
    pub name: String,
    pub job_type: String,
    #[schema(value_type = crate::model::Priority)]
    pub priority: &'static str,
    pub at: String,
    pub at_local: String,
}

/// Schedules considered per request, at most, so the cost stays bounded.
const MAX_SCHEDULES: usize = 10_000;

#[utoipa::path(get, path = "/v1/schedules/upcoming", operation_id = "upcoming", tag = "planning",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Default 50"),
        ("hours_ahead" = Option<u32>, Query, minimum = 1, maximum = 8784, description = "Default 24"),
        ("priority" = Option<crate::model::Priority>, Query),
        ("job_type" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "Next runs across the caller's active schedules, in time order", body = crate::api::schedules::planned::Upcoming),
        (status = 422, description = "Invalid or unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn upcoming(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    q: QueryParams,
) -> Result<Json<Upcoming>, Problem> {
    let mut q = q.known(&["limit", "hours_ahead", "priority", "job_type"]);
    let limit = q.limit(50, 1000);
    let hours = q
        .parse(
            "hours_ahead",
            |s| s.parse::<i64>().ok().filter(|h| (1..=8784).contains(h)),
            "an integer from 1 to 8784",
        )
        .unwrap_or(24);
    let priority = q.parse(
        "priority",
        Priority::parse,
        &format!("one of: {}", Priority::choices()),
    );
    let job_type = q.get("job_type").map(str::to_string);
    q.finish()?;
    let now = state.scheduler.now();
    let until = now + Duration::hours(hours);
    let filter = ScheduleFilter {
        status: Some(ScheduleStatus::Active),
        job_type,
        priority,
    };
    let mut rows: Vec<(DateTime<Utc>, u8, Schedule)> = Vec::new();
    let mut after = None;
    let mut seen = 0;
    while seen < MAX_SCHEDULES {
        let page = state
            .scheduler
            .list(user, filter.clone(), after, 1000)
            .await?;
        seen += page.len();
        let done = page.len() < 1000;
        after = page.last().map(|s| s.id);
        for s in page {
            for t in planned(&state, &s, limit, Some(until)) {
                rows.push((t, s.priority.rank(), s.clone()));
            }
        }
        // Keep only what can still make the cut.
        rows.sort_by_key(|r| (r.0, r.1, r.2.id));
        rows.truncate(limit);
        if done {
            break;
        }
    }
    let executions = rows
        .into_iter()
        .map(|(t, _, s)| {
            let tz = s.timezone;
            UpcomingView {
                schedule_id: s.id.to_string(),
                name: s.name.clone(),
                job_type: s.job_type.clone(),
                priority: s.priority.as_str(),
                at: format_utc(t),
                at_local: format_local(utc_to_local(&tz, t)),
            }
        })
        .collect();
    Ok(Json(Upcoming { executions }))
}
