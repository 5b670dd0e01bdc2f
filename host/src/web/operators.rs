//! `/operators`: what an operator checks before reading logs — this node's queue and running
//! runs, the caller's alerts and failing schedules, the loaded plugins with where each came
//! from, and the nodes sharing the database.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::Nav;
use super::error::PageError;
use super::guard::Viewer;
use crate::api::AppState;
use crate::store::ScheduleFilter;
use crate::timezone::format_utc;

/// Schedules read for the failing list, at most.
const LOOKED_AT: usize = 1000;

struct Failing {
    href: String,
    name: String,
    streak: u32,
    error: String,
}

struct AlertRow {
    kind: String,
    href: String,
    name: String,
    message: String,
}

struct PluginRow {
    job_type: String,
    version: String,
    origin: String,
    description: String,
}

struct NodeRow {
    node_id: String,
    alive: bool,
    renewed: String,
    lease: String,
    running: u64,
}

#[derive(Template)]
#[template(path = "operators.html")]
struct OperatorsPage {
    nav: Option<Nav>,
    title: &'static str,
    queue_depth: usize,
    running: usize,
    node_id: String,
    backend: &'static str,
    alerts: Vec<AlertRow>,
    failing: Vec<Failing>,
    plugins: Vec<PluginRow>,
    refused: Vec<String>,
    nodes: Vec<NodeRow>,
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let user = viewer.session.user;
    let gauges = crate::api::monitoring::gauges(&state);
    let alerts = state
        .scheduler
        .alerts(user)
        .await?
        .into_iter()
        .map(|a| AlertRow {
            kind: format!("{:?}", a.kind),
            href: format!("/schedules/{}", a.schedule_id),
            name: a.schedule_name,
            message: a.message,
        })
        .collect();
    let mut failing: Vec<Failing> = state
        .scheduler
        .list(user, ScheduleFilter::default(), None, LOOKED_AT)
        .await?
        .into_iter()
        .filter(|s| s.stats.failure_streak > 0)
        .map(|s| Failing {
            href: format!("/schedules/{}", s.id),
            streak: s.stats.failure_streak,
            error: s.stats.last_error.clone().unwrap_or_default(),
            name: s.name,
        })
        .collect();
    failing.sort_by_key(|f| std::cmp::Reverse(f.streak));
    let plugins = state
        .plugins
        .plugins()
        .into_iter()
        .map(|p| PluginRow {
            job_type: p.job_type.clone(),
            version: p.version.clone(),
            origin: p.origin.to_string(),
            description: p.description.clone(),
        })
        .collect();
    let refused = state
        .plugins
        .refused()
        .iter()
        .map(|r| format!("{}: {}", r.file.display(), r.reason))
        .collect();
    let (nodes, now) = state.scheduler.nodes().await?;
    let nodes = nodes
        .into_iter()
        .map(|n| NodeRow {
            alive: now.is_none_or(|now| n.alive_at(now)),
            renewed: format_utc(n.renewed_at),
            lease: format_utc(n.lease_until),
            running: n.running,
            node_id: n.node_id,
        })
        .collect();
    let page = OperatorsPage {
        nav: Some(Nav::new(&viewer, "operators")),
        title: "Operators",
        queue_depth: gauges.queue_depth,
        running: gauges.running,
        node_id: state
            .dispatcher
            .as_ref()
            .map_or_else(String::new, |d| d.node_id().to_string()),
        backend: if state.scheduler.shared_storage() {
            "PostgreSQL (shared by the nodes below)"
        } else {
            "embedded (redb)"
        },
        alerts,
        failing,
        plugins,
        refused,
        nodes,
    };
    Ok(Html(page.render()?).into_response())
}
