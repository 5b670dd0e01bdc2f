//! `/series/{id}`: a series' episodes in order, each done, running, next, failed (and to be
//! run again) or still planned, with when it runs.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};

use super::error::PageError;
use super::guard::Viewer;
use super::{Nav, local_time, path_id};
use crate::api::AppState;
use crate::model::{Schedule, ScheduleStatus, Series};

struct Episode {
    number: u32,
    href: String,
    name: String,
    state: &'static str,
    words: &'static str,
    when: String,
}

#[derive(Template)]
#[template(path = "series.html")]
struct SeriesPage {
    nav: Option<Nav>,
    title: String,
    name: String,
    status: &'static str,
    rule: String,
    job_type: String,
    progress: String,
    episodes: Vec<Episode>,
}

/// Where episode `k` stands: the series moves on only when the current episode completes.
fn state(series: &Series, k: u32, s: &Schedule, running: bool) -> (&'static str, &'static str) {
    if s.stats.completed > 0 || k < series.current_episode {
        ("completed", "Done")
    } else if s.status() == ScheduleStatus::Cancelled {
        ("cancelled", "Cancelled")
    } else if running {
        ("running", "Running")
    } else if k == series.current_episode && s.stats.failure_streak > 0 {
        ("failed", "Failed; planned again")
    } else if k == series.current_episode {
        ("pending", "Next")
    } else {
        ("planned", "Planned")
    }
}

pub async fn page(
    State(state_): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id = path_id(&raw)?;
    let user = viewer.session.user;
    let found = state_.scheduler.get_series(user, id).await?;
    let series = &found.series;
    let tz = series.timezone;
    let mut episodes = Vec::with_capacity(found.episodes.len());
    for (i, s) in found.episodes.iter().enumerate() {
        let k = s.episode.unwrap_or(i as u32 + 1);
        // Only the current episode can be running; one read for it alone.
        let running = k == series.current_episode
            && state_
                .scheduler
                .executions(
                    user,
                    s.id,
                    Some(crate::model::ExecutionStatus::Running),
                    None,
                    1,
                )
                .await
                .is_ok_and(|(_, r)| !r.is_empty());
        let (st, words) = state(series, k, s, running);
        let at = s.next_run_at().or(s.last_run_at());
        episodes.push(Episode {
            number: k,
            href: format!("/schedules/{}", s.id),
            name: s.name.clone(),
            state: st,
            words,
            when: at.map_or_else(String::new, |t| local_time(tz, t)),
        });
    }
    let done = episodes.iter().filter(|e| e.state == "completed").count();
    let page = SeriesPage {
        nav: Some(Nav::new(&viewer, "schedules")),
        title: series.name.clone(),
        name: series.name.clone(),
        status: series.status.as_str(),
        rule: format!("{}, {}", series.schedule_rule.describe(), tz.name()),
        job_type: series.job_type.clone(),
        progress: format!("{done} of {} episodes done", series.episode_count),
        episodes,
    };
    Ok(Html(page.render()?).into_response())
}
