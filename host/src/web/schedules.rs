//! `/schedules` (a filtered, paged list) and `/schedules/{id}` (one schedule: its rule in
//! words, next runs, recent executions with a duration chart, and its actions). Each action
//! is a form post to `/schedules/{id}/{action}` that calls the service the API calls and comes
//! back to the page; cancelling asks first, on a page of its own.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::PageError;
use super::guard::{Posted, Viewer};
use super::{Nav, local_time, path_id};
use crate::api::AppState;
use crate::model::{
    Execution, ExecutionStatus, Schedule, ScheduleKind, ScheduleStatus, StatusAction,
};
use crate::service::{PatchParts, RunOptions};
use crate::store::ScheduleFilter;

/// Schedules on one page of the list.
const PAGE: usize = 25;
/// Executions the schedule page lists and charts.
const RECENT: usize = 20;
/// Planned runs the schedule page lists.
const NEXT: usize = 10;

/// When a schedule runs, in words, with its zone.
fn when(s: &Schedule) -> String {
    match &s.kind {
        ScheduleKind::Once { at } => format!("Once, {}", local_time(s.timezone, *at)),
        ScheduleKind::Recurring { rule } => format!("{}, {}", rule.describe(), s.timezone.name()),
    }
}

struct Row {
    href: String,
    name: String,
    job_type: String,
    status: &'static str,
    when: String,
    next: String,
}

#[derive(Template)]
#[template(path = "schedules.html")]
struct ListPage {
    nav: Option<Nav>,
    title: &'static str,
    rows: Vec<Row>,
    statuses: Vec<(&'static str, bool)>,
    job_types: Vec<(String, bool)>,
    more: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    status: Option<String>,
    job_type: Option<String>,
    after: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let mut bad = Vec::new();
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let parsed = ScheduleStatus::parse(s);
            if parsed.is_none() {
                bad.push("status: must be active, paused, completed or cancelled");
            }
            parsed
        }
    };
    let job_types = state.plugins.job_types();
    let job_type = p.job_type.filter(|j| !j.is_empty());
    if job_type.as_ref().is_some_and(|j| !job_types.contains(j)) {
        bad.push("job_type: must be one of the loaded job types");
    }
    let after = match p.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => {
            let parsed = uuid::Uuid::parse_str(a).ok();
            if parsed.is_none() {
                bad.push("after: must be a schedule id");
            }
            parsed
        }
    };
    if !bad.is_empty() {
        return Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            bad.join("; "),
        ));
    }
    let filter = ScheduleFilter {
        status,
        job_type: job_type.clone(),
        priority: None,
    };
    let user = viewer.session.user;
    let found = state.scheduler.list(user, filter, after, PAGE + 1).await?;
    let more = (found.len() > PAGE).then(|| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(s) = status {
            q.append_pair("status", s.as_str());
        }
        if let Some(j) = &job_type {
            q.append_pair("job_type", j);
        }
        q.append_pair("after", &found[PAGE - 1].id.to_string());
        format!("/schedules?{}", q.finish())
    });
    let rows = found
        .iter()
        .take(PAGE)
        .map(|s| Row {
            href: format!("/schedules/{}", s.id),
            name: s.name.clone(),
            job_type: s.job_type.clone(),
            status: s.status().as_str(),
            when: when(s),
            next: s
                .next_run_at()
                .filter(|_| s.status() == ScheduleStatus::Active)
                .map_or_else(|| "—".to_string(), |t| local_time(s.timezone, t)),
        })
        .collect();
    let page = ListPage {
        nav: Some(Nav::new(&viewer, "schedules")),
        title: "Schedules",
        rows,
        statuses: ScheduleStatus::ALL
            .iter()
            .map(|s| (s.as_str(), Some(*s) == status))
            .collect(),
        job_types: job_types
            .iter()
            .map(|j| (j.clone(), job_type.as_deref() == Some(j.as_str())))
            .collect(),
        more,
    };
    Ok(Html(page.render()?).into_response())
}

struct Run {
    when: String,
    status: &'static str,
    duration: String,
    detail: String,
}

/// One bar of the duration chart, in the SVG's own units.
struct Bar {
    x: u32,
    y: u32,
    height: u32,
    status: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    nav: Option<Nav>,
    title: String,
    id: String,
    name: String,
    description: String,
    status: &'static str,
    job_type: String,
    priority: &'static str,
    when: String,
    notice: Option<&'static str>,
    next: Vec<String>,
    runs: Vec<Run>,
    bars: Vec<Bar>,
    chart_max: String,
    completed: u32,
    failed: u32,
    skipped: u32,
    success_rate: String,
    average: String,
    can_pause: bool,
    can_resume: bool,
    can_run: bool,
    can_cancel: bool,
    series: Option<String>,
}

fn duration_ms(e: &Execution) -> Option<i64> {
    Some((e.completed_at? - e.started_at?).num_milliseconds().max(0))
}

fn seconds(ms: i64) -> String {
    if ms < 10_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} s", ms / 1000)
    }
}

/// The chart's bars, oldest first: height by duration against the longest shown.
fn bars(runs: &[Execution]) -> (Vec<Bar>, String) {
    const HEIGHT: u32 = 100;
    let timed: Vec<(&Execution, i64)> = runs
        .iter()
        .rev()
        .filter_map(|e| duration_ms(e).map(|d| (e, d)))
        .collect();
    let max = timed.iter().map(|(_, d)| *d).max().unwrap_or(0).max(1);
    let bars = timed
        .iter()
        .enumerate()
        .map(|(i, (e, d))| {
            let height = ((*d as f64 / max as f64) * f64::from(HEIGHT))
                .round()
                .max(1.0) as u32;
            Bar {
                x: i as u32 * 14,
                y: HEIGHT - height,
                height,
                status: e.status.as_str(),
                label: format!("{}: {}", e.status.as_str(), seconds(*d)),
            }
        })
        .collect();
    (bars, seconds(max))
}

/// What the last action did, from a fixed set (the page never echoes what the URL says).
fn notice(did: Option<&str>) -> Option<&'static str> {
    match did? {
        "pause" => Some("Paused. Nothing runs until you resume it."),
        "resume" => Some("Resumed."),
        "cancel" => Some("Cancelled. It will not run again."),
        "run" => Some("A run was started; it appears below once it is recorded."),
        "clone" => Some("This is the new copy."),
        "create" => Some("Created."),
        "edit" => Some("Saved."),
        _ => None,
    }
}

#[derive(Deserialize, Default)]
pub struct PageParams {
    did: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Query(p): Query<PageParams>,
) -> Result<Response, PageError> {
    let id = path_id(&raw)?;
    let (s, recent) = state
        .scheduler
        .get_with_recent(viewer.session.user, id, RECENT)
        .await?;
    let tz = s.timezone;
    let next = state
        .scheduler
        .planned(&s, NEXT, None)
        .into_iter()
        .map(|t| local_time(tz, t))
        .collect();
    let runs = recent
        .iter()
        .map(|e| Run {
            when: local_time(tz, e.scheduled_for),
            status: e.status.as_str(),
            duration: duration_ms(e).map_or_else(String::new, seconds),
            detail: match (e.status, e.skip_reason, &e.error_message) {
                (ExecutionStatus::Skipped, Some(why), _) => why.message().to_string(),
                (_, _, Some(m)) => m.clone(),
                _ => String::new(),
            },
        })
        .collect();
    let (bars, chart_max) = bars(&recent);
    let status = s.status();
    let page = SchedulePage {
        nav: Some(Nav::new(&viewer, "schedules")),
        title: s.name.clone(),
        id: s.id.to_string(),
        name: s.name.clone(),
        description: s.description.clone().unwrap_or_default(),
        status: status.as_str(),
        job_type: s.job_type.clone(),
        priority: s.priority.as_str(),
        when: when(&s),
        notice: notice(p.did.as_deref()),
        next,
        runs,
        bars,
        chart_max,
        completed: s.stats.completed,
        failed: s.stats.failed,
        skipped: s.stats.skipped,
        success_rate: s
            .stats
            .success_rate()
            .map_or_else(|| "—".to_string(), |r| format!("{r:.0}%")),
        average: s
            .stats
            .average_duration_ms()
            .map_or_else(|| "—".to_string(), |ms| seconds(ms as i64)),
        can_pause: status == ScheduleStatus::Active,
        can_resume: status == ScheduleStatus::Paused,
        can_run: matches!(status, ScheduleStatus::Active | ScheduleStatus::Paused),
        can_cancel: matches!(status, ScheduleStatus::Active | ScheduleStatus::Paused),
        series: s.series_id.map(|id| id.to_string()),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "confirm_cancel.html")]
struct ConfirmPage {
    nav: Option<Nav>,
    title: String,
    id: String,
    name: String,
}

pub async fn confirm_cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id = path_id(&raw)?;
    let s = state.scheduler.get(viewer.session.user, id).await?;
    let page = ConfirmPage {
        nav: Some(Nav::new(&viewer, "schedules")),
        title: format!("Cancel {}?", s.name),
        id: s.id.to_string(),
        name: s.name.clone(),
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn act(
    State(state): State<AppState>,
    Path((raw, action)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, PageError> {
    perform(&state, &raw, &action, posted).await
}

/// The confirmation page's post (its path is the confirmation page's own).
pub async fn cancel(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    perform(&state, &raw, "cancel", posted).await
}

async fn perform(
    state: &AppState,
    raw: &str,
    action: &str,
    posted: Posted,
) -> Result<Response, PageError> {
    let id = path_id(raw)?;
    let user = posted.viewer.session.user;
    let sched = &state.scheduler;
    let target = match action {
        "pause" => sched.transition(user, id, StatusAction::Pause).await?.id,
        "resume" => sched.resume(user, id, false).await?.id,
        "cancel" => sched.transition(user, id, StatusAction::Cancel).await?.id,
        "run" => {
            sched.run_now(user, id, RunOptions::default()).await?;
            id
        }
        "clone" => {
            sched
                .clone_schedule(user, id, PatchParts::default())
                .await?
                .id
        }
        _ => return Err(PageError::not_found()),
    };
    Ok(Redirect::to(&format!("/schedules/{target}?did={action}")).into_response())
}
