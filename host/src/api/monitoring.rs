//! `GET /v1/alerts` (the caller's alert conditions) and `GET /metrics` (Prometheus text).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;

use super::auth::AuthUser;
use super::{AppState, Problem};
use crate::alerts::Alert;

#[derive(Serialize)]
pub struct AlertList {
    pub alerts: Vec<Alert>,
}

#[utoipa::path(get, path = "/v1/alerts", operation_id = "alerts", tag = "monitoring",
    responses((status = 200, description = "The caller's current alerts", body = crate::api::openapi::types::AlertListSchema)))]
pub async fn alerts(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<AlertList>, Problem> {
    let alerts = state.scheduler.alerts(user).await?;
    for a in &alerts {
        tracing::warn!(user = %user, schedule = %a.schedule_id, kind = ?a.kind, "{}", a.message);
    }
    Ok(Json(AlertList { alerts }))
}

#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "monitoring", security(()),
    responses((status = 200, description = "Prometheus metrics, OpenMetrics text format", body = String, content_type = "application/openmetrics-text")))]
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
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::render(&gauges),
    )
}
