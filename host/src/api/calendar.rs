//! `GET /v1/schedules/calendar`: the caller's schedules laid out on the local days of a range
//! in one timezone. Options are checked together (422 listing each bad one); a range longer
//! than [`MAX_DAYS`] is a 400. The computation and its reads are `crate::calendar`; this
//! module checks the options and renders the chosen view.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use super::auth::AuthUser;
use super::extract::QueryParams;
use super::{AppState, Problem};
use crate::calendar::{Calendar, CalendarQuery, Day, GroupBy, ItemKind, MAX_DAYS, week_start};
use crate::recurrence::{FieldError, Removal};
use crate::timezone::{format_local, format_utc, parse_timezone, utc_to_local};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CalendarView {
    pub start_date: String,
    pub end_date: String,
    pub timezone: String,
    #[schema(value_type = crate::api::openapi::types::CalendarGroupBy)]
    pub group_by: &'static str,
    /// Day and month views.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<DayView>>,
    /// Week view: the days grouped into weeks starting on Monday.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weeks: Option<Vec<WeekView>>,
    pub total_executions: u64,
    /// The request's step budget ran out: some counts are short.
    pub truncated: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WeekView {
    pub week_start: String,
    pub total_count: u64,
    pub days: Vec<DayView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DayView {
    pub date: String,
    pub total_count: u64,
    /// Month view: how many schedules have something that day (no lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedules: Option<Vec<DaySchedule>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executions: Option<Vec<ItemView>>,
    /// More than the listed executions happened that day (`total_count` is exact).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DaySchedule {
    pub schedule_id: String,
    pub name: String,
    pub job_type: String,
    #[schema(value_type = crate::model::Priority)]
    pub priority: &'static str,
    #[schema(value_type = crate::model::ScheduleStatus)]
    pub status: &'static str,
    pub count: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub at: String,
    /// In the calendar's timezone.
    pub at_local: String,
    /// `planned`, or the past execution's status.
    #[schema(value_type = crate::api::openapi::types::CalendarItemStatusSchema)]
    pub status: &'static str,
    pub execution_id: Option<String>,
    pub schedule_id: String,
    pub name: String,
    pub job_type: String,
    #[schema(value_type = crate::model::Priority)]
    pub priority: &'static str,
    #[schema(value_type = crate::model::ScheduleStatus)]
    pub schedule_status: &'static str,
    /// Status `removed`: why the rule's occurrence does not run at this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<RemovedView>,
    /// Status `skipped`: why the run did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::model::SkipReason>)]
    pub skip_reason: Option<&'static str>,
    /// The schedule's DST handling, when it is not the default (shift forward, first).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::api::openapi::types::DstPolicySchema>)]
    pub dst_policy: Option<serde_json::Value>,
}

/// Why an occurrence of a schedule's rule does not run at its own time.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RemovedView {
    /// `exception_date`, `holiday` (skipped), `rescheduled` or `moved_for_holiday`.
    #[schema(value_type = crate::api::openapi::types::RemovalReason)]
    pub reason: &'static str,
    /// The holiday calendar, for the holiday reasons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// Where the run went instead (rescheduled or moved), UTC and in the calendar's zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_to_local: Option<String>,
}

impl RemovedView {
    fn new(tz: Tz, why: &Removal) -> Self {
        let moved = |to: &chrono::DateTime<chrono::Utc>| {
            (
                Some(format_utc(*to)),
                Some(format_local(utc_to_local(&tz, *to))),
            )
        };
        let (reason, calendar, (moved_to, moved_to_local)) = match why {
            Removal::ExceptionDate => ("exception_date", None, (None, None)),
            Removal::Holiday { calendar } => ("holiday", Some(calendar.clone()), (None, None)),
            Removal::Rescheduled { to } => ("rescheduled", None, moved(to)),
            Removal::MovedForHoliday { calendar, to } => {
                ("moved_for_holiday", Some(calendar.clone()), moved(to))
            }
        };
        RemovedView {
            reason,
            calendar,
            moved_to,
            moved_to_local,
        }
    }
}

const KNOWN: &[&str] = &[
    "start_date",
    "end_date",
    "timezone",
    "include_completed",
    "include_cancelled",
    "job_type",
    "group_by",
];

fn parse_query(q: QueryParams) -> Result<CalendarQuery, Problem> {
    let mut q = q.known(KNOWN);
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let start = q.parse("start_date", date, "a date YYYY-MM-DD");
    let end = q.parse("end_date", date, "a date YYYY-MM-DD");
    for name in ["start_date", "end_date"] {
        if q.get(name).is_none() {
            q.errors.push(FieldError::new(name, "is required"));
        }
    }
    let tz: Tz = q
        .parse(
            "timezone",
            |s| parse_timezone(s).ok(),
            "an IANA timezone name",
        )
        .unwrap_or(chrono_tz::UTC);
    let group_by = q
        .parse("group_by", GroupBy::parse, "one of: day, week, month")
        .unwrap_or(GroupBy::Day);
    let include_completed = q.flag("include_completed");
    let include_cancelled = q.flag("include_cancelled");
    let job_type = q.parse(
        "job_type",
        |s| (!s.is_empty() && s.len() <= 64).then(|| s.to_string()),
        "a job type",
    );
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        q.errors
            .push(FieldError::new("end_date", "must not be before start_date"));
    }
    q.finish()?;
    let (start, end) = (start.expect("checked"), end.expect("checked"));
    if (end - start).num_days() + 1 > MAX_DAYS {
        return Err(Problem::bad_request(format!(
            "the range is longer than {MAX_DAYS} days"
        )));
    }
    Ok(CalendarQuery {
        start,
        end,
        tz,
        group_by,
        include_completed,
        include_cancelled,
        job_type,
    })
}

#[utoipa::path(get, path = "/v1/schedules/calendar", operation_id = "calendar", tag = "planning",
    params(
        ("start_date" = String, Query, format = Date, example = "2030-01-01"),
        ("end_date" = String, Query, format = Date, example = "2030-01-31", description = "At most 366 days after start_date (inclusive)"),
        ("timezone" = Option<String>, Query, description = "IANA name, default UTC"),
        ("include_completed" = Option<bool>, Query),
        ("include_cancelled" = Option<bool>, Query),
        ("job_type" = Option<String>, Query),
        ("group_by" = Option<crate::api::openapi::types::CalendarGroupBy>, Query, description = "Default day"),
    ),
    responses(
        (status = 200, description = "The range's days (`days`, or `weeks` for group_by=week)", body = crate::api::calendar::CalendarView),
        (status = 400, description = "Range longer than 366 days, or malformed query", body = crate::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, missing or unknown query parameters", body = crate::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn calendar(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    query: QueryParams,
) -> Result<Response, Problem> {
    let query = parse_query(query)?;
    // Read before the data: a write committed after this moves it, so the body computed
    // below is never kept under a version it does not reflect.
    let version = state.scheduler.data_version(user);
    let key = (user, query);
    let kept = state.calendar_cache.get(&key, version);
    crate::metrics::calendar_served(kept.is_some());
    let body = match kept {
        Some(body) => body,
        None => {
            let calendar = state
                .scheduler
                .calendar(user, version, key.1.clone(), &state.calendar)
                .await
                .map_err(Problem::from)?;
            let body = serde_json::to_vec(&render(&key.1, calendar)).map_err(Problem::internal)?;
            let body = Bytes::from(body);
            state.calendar_cache.put(key, version, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

fn render(q: &CalendarQuery, c: Calendar) -> CalendarView {
    let days: Vec<DayView> = c.days.iter().map(|d| day_view(q, &c, d)).collect();
    let (days, weeks) = match q.group_by {
        GroupBy::Week => {
            let mut weeks: Vec<WeekView> = Vec::new();
            for (d, view) in c.days.iter().zip(days) {
                let start = week_start(d.date).to_string();
                match weeks.last_mut() {
                    Some(w) if w.week_start == start => {
                        w.total_count += view.total_count;
                        w.days.push(view);
                    }
                    _ => weeks.push(WeekView {
                        week_start: start,
                        total_count: view.total_count,
                        days: vec![view],
                    }),
                }
            }
            (None, Some(weeks))
        }
        _ => (Some(days), None),
    };
    CalendarView {
        start_date: q.start.to_string(),
        end_date: q.end.to_string(),
        timezone: q.tz.name().to_string(),
        group_by: q.group_by.as_str(),
        days,
        weeks,
        total_executions: c.total,
        truncated: c.truncated,
    }
}

fn day_view(q: &CalendarQuery, c: &Calendar, d: &Day) -> DayView {
    let date = d.date.to_string();
    if !q.group_by.lists_items() {
        return DayView {
            date,
            total_count: d.total_count,
            schedule_count: Some(d.schedule_count),
            schedules: None,
            executions: None,
            truncated: None,
        };
    }
    let schedules = d
        .schedules
        .iter()
        .map(|(i, n)| {
            let s = &c.schedules[*i];
            DaySchedule {
                schedule_id: s.id.to_string(),
                name: s.name.clone(),
                job_type: s.job_type.clone(),
                priority: s.priority.as_str(),
                status: s.status().as_str(),
                count: *n,
            }
        })
        .collect();
    let executions = d
        .items
        .iter()
        .map(|it| {
            let s = &c.schedules[it.schedule];
            let (status, execution_id, removed, skip_reason) = match &it.kind {
                ItemKind::Past {
                    status,
                    execution_id,
                    skip_reason,
                } => (
                    status.as_str(),
                    Some(execution_id.to_string()),
                    None,
                    skip_reason.map(|r| r.as_str()),
                ),
                ItemKind::Planned => ("planned", None, None, None),
                ItemKind::Removed(why) => {
                    ("removed", None, Some(RemovedView::new(q.tz, why)), None)
                }
            };
            ItemView {
                at: format_utc(it.at),
                at_local: format_local(utc_to_local(&q.tz, it.at)),
                status,
                execution_id,
                schedule_id: s.id.to_string(),
                name: s.name.clone(),
                job_type: s.job_type.clone(),
                priority: s.priority.as_str(),
                schedule_status: s.status().as_str(),
                removed,
                skip_reason,
                dst_policy: s
                    .dst_policy()
                    .filter(|p| !p.is_default())
                    .map(crate::api::schedules::view::dst_policy_json),
            }
        })
        .collect();
    DayView {
        date,
        total_count: d.total_count,
        schedule_count: None,
        schedules: Some(schedules),
        executions: Some(executions),
        truncated: Some(d.truncated),
    }
}
