//! `GET /v1/alerts` (the caller's alert conditions) and `GET /metrics` (Prometheus text).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;

use super::auth::AuthUser;
use super::{AppState, Problem};
use crate::alerts::{Alert, AlertConfig, evaluate};
use crate::model::ExecutionStatus;
use crate::store::ScheduleFilter;

#[derive(Serialize)]
pub struct AlertList {
    pub alerts: Vec<Alert>,
}

/// Schedules read per alert request, at most: the cost stays bounded for huge accounts.
const MAX_SCHEDULES: usize = 10_000;

pub async fn alerts(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<AlertList>, Problem> {
    let storage = &state.scheduler.storage;
    let mut schedules = Vec::new();
    let mut after = None;
    while schedules.len() < MAX_SCHEDULES {
        let page = storage
            .list_schedules(user, ScheduleFilter::default(), after, 1000)
            .await
            .map_err(Problem::internal)?;
        let done = page.len() < 1000;
        after = page.last().map(|s| s.id);
        schedules.extend(page);
        if done {
            break;
        }
    }
    let running: Vec<_> = storage
        .executions_with_status(ExecutionStatus::Running, 10_000)
        .await
        .map_err(Problem::internal)?
        .into_iter()
        .filter(|e| e.user_id == user)
        .collect();
    let alerts = evaluate(
        &AlertConfig::default(),
        &schedules,
        &running,
        state.scheduler.clock.now(),
    );
    for a in &alerts {
        tracing::warn!(user = %user, schedule = %a.schedule_id, kind = ?a.kind, "{}", a.message);
    }
    Ok(Json(AlertList { alerts }))
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let gauges = match &state.dispatcher {
        Some(d) => {
            let q = d.queue.lock().unwrap_or_else(|p| p.into_inner());
            crate::metrics::Gauges {
                queue_depth: q.len(),
                running: q.running(),
            }
        }
        None => crate::metrics::Gauges {
            queue_depth: 0,
            running: 0,
        },
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(&gauges),
    )
}
