//! `POST /v1/schedules/import`: an `.ics` file's events become schedules, one per `VEVENT`,
//! all or none. The text is read by the pure iCalendar reader; each event becomes a create
//! item checked and written by the bulk create, so an imported schedule is held to every rule
//! a created one is. An event sgsched cannot represent is reported with its `UID` and the
//! property at fault, and nothing is created.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sgsched_recurrence::ical::{EventTiming, read_events};

use super::auth::AuthUser;
use super::fields::Reader;
use super::schedules::json_body;
use super::schedules::view::ScheduleView;
use super::{AppState, Problem};
use crate::model::{MissedPolicy, Priority, ScheduleType, limits};
use crate::recurrence::FieldError;
use crate::service::{CreateItem, DraftParts, MAX_ITEMS, Outcome};

const FIELDS: &[&str] = &[
    "job_type",
    "job_config",
    "calendar",
    "priority",
    "missed_policy",
    "timezone",
];

#[derive(Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub schedules: Vec<ScheduleView>,
}

/// A schedule's name from an event's `SUMMARY`: its first line, trimmed, cut to the limit.
fn name_of(summary: Option<&str>, uid: Option<&str>) -> String {
    let first = summary
        .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
        .map(str::to_string)
        .or_else(|| uid.map(|u| format!("Imported event {u}")))
        .unwrap_or_else(|| "Imported event".into());
    first.chars().take(limits::NAME_MAX).collect()
}

#[utoipa::path(post, path = "/v1/schedules/import", operation_id = "import_ics", tag = "schedules",
    request_body = crate::api::openapi::types::ImportRequest,
    responses(
        (status = 201, description = "One schedule per VEVENT", body = Imported),
        (status = 422, description = "Field errors; an event that cannot be represented is named by its UID and property", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn import(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    bytes: Bytes,
) -> Result<Response, Problem> {
    let body = json_body(&bytes, false)?;
    let mut r = Reader::new(&body, "").map_err(|e| Problem::invalid_fields(vec![e]))?;
    r.deny_unknown(FIELDS);
    let job_type = r.string("job_type", 1, limits::JOB_TYPE_MAX);
    let job_config = r.value("job_config").cloned();
    for (field, present) in [
        ("job_type", job_type.is_some()),
        ("job_config", job_config.is_some()),
        ("calendar", r.has("calendar")),
    ] {
        if !present && !r.failed.contains(field) {
            r.errors.push(FieldError::new(field, "is required"));
        }
    }
    let priority = r.choice("priority", Priority::parse, Priority::choices());
    let missed_policy = r.choice(
        "missed_policy",
        MissedPolicy::parse,
        MissedPolicy::choices(),
    );
    let floating = r.timezone("timezone");
    let calendar = r.string("calendar", 1, super::MAX_BODY_BYTES);
    let mut errors = r.errors;
    let events = match calendar.as_deref().map(|text| read_events(text, floating)) {
        Some(Ok(events)) if events.is_empty() => {
            errors.push(FieldError::new("calendar", "has no VEVENT"));
            Vec::new()
        }
        Some(Ok(events)) if events.len() > MAX_ITEMS => {
            errors.push(FieldError::new(
                "calendar",
                format!("has {} events; at most {MAX_ITEMS} at once", events.len()),
            ));
            Vec::new()
        }
        Some(Ok(events)) => events,
        Some(Err(e)) => {
            errors.push(FieldError::new("calendar", e.to_string()));
            Vec::new()
        }
        None => Vec::new(),
    };
    let mut items = Vec::with_capacity(events.len());
    let mut uids = Vec::with_capacity(events.len());
    for (i, event) in events.into_iter().enumerate() {
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                errors.push(FieldError::new(
                    format!("calendar.events[{i}].{}", e.property),
                    e.to_string(),
                ));
                continue;
            }
        };
        let (schedule_type, scheduled_at, recurrence_rule, tz) = match event.timing {
            EventTiming::Once { at, tz } => (ScheduleType::Once, Some(at), None, tz),
            EventTiming::Recurring { rule, tz } => (ScheduleType::Recurring, None, Some(*rule), tz),
        };
        uids.push(event.uid.clone());
        items.push(CreateItem {
            parts: DraftParts {
                name: Some(name_of(event.summary.as_deref(), event.uid.as_deref())),
                job_type: job_type.clone(),
                job_config: job_config.clone(),
                schedule_type: Some(schedule_type),
                scheduled_at,
                recurrence_rule,
                timezone: Some(tz),
                priority,
                missed_policy,
                ..DraftParts::default()
            },
            errors: Vec::new(),
        });
    }
    if !errors.is_empty() {
        return Err(Problem::invalid_fields(errors));
    }
    let outcomes = state.scheduler.bulk_create(user, items, None).await?;
    let mut failed = Vec::new();
    let mut created = Vec::new();
    let now = state.scheduler.now();
    for (i, o) in outcomes.into_iter().enumerate() {
        match o {
            Outcome::Done(s) => created.push(ScheduleView::new(&s, now)),
            Outcome::NotWritten => {}
            Outcome::Failed(errs) => {
                let uid = uids
                    .get(i)
                    .cloned()
                    .flatten()
                    .map(|u| format!("UID {u}: "))
                    .unwrap_or_default();
                for e in errs {
                    let field = e
                        .field
                        .strip_prefix(&format!("schedules[{i}]"))
                        .unwrap_or(&e.field)
                        .to_string();
                    failed.push(FieldError::new(
                        format!("calendar.events[{i}]{field}"),
                        format!("{uid}{}", e.message),
                    ));
                }
            }
        }
    }
    if !failed.is_empty() {
        return Err(Problem::invalid_fields(failed));
    }
    Ok((StatusCode::CREATED, Json(Imported { schedules: created })).into_response())
}
