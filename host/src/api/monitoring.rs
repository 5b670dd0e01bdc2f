//! `GET /v1/alerts` (the caller's alert conditions), `GET /v1/cluster` (the nodes sharing the
//! database, for operators) and `GET /metrics` (Prometheus text).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;

use super::auth::AuthUser;
use super::{AppState, Problem};
use crate::alerts::Alert;
use crate::timezone::format_utc;

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

/// The nodes on one database, as an operator checks them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClusterView {
    /// `postgres` (shared by every node listed) or `redb` (this process's alone).
    pub backend: &'static str,
    /// The node that answered.
    pub node_id: Option<String>,
    /// The database's clock, which leases are measured by.
    pub database_time: Option<String>,
    pub nodes: Vec<NodeView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NodeView {
    pub node_id: String,
    pub started_at: String,
    pub renewed_at: String,
    pub lease_expires_at: String,
    /// Its lease has not lapsed: a lapsed node's running executions are taken over.
    pub alive: bool,
    pub running_executions: u64,
}

#[utoipa::path(get, path = "/v1/cluster", operation_id = "cluster", tag = "monitoring",
    responses((status = 200, description = "The nodes sharing the database and their leases", body = ClusterView)))]
pub async fn cluster(
    State(state): State<AppState>,
    AuthUser(_): AuthUser,
) -> Result<Json<ClusterView>, Problem> {
    let (nodes, now) = state.scheduler.nodes().await?;
    let shared = state.scheduler.shared_storage();
    Ok(Json(ClusterView {
        backend: if shared { "postgres" } else { "redb" },
        node_id: state.dispatcher.as_ref().map(|d| d.node_id().to_string()),
        database_time: now.map(format_utc),
        nodes: nodes
            .into_iter()
            .map(|n| NodeView {
                alive: now.is_none_or(|now| n.alive_at(now)),
                node_id: n.node_id,
                started_at: format_utc(n.started_at),
                renewed_at: format_utc(n.renewed_at),
                lease_expires_at: format_utc(n.lease_until),
                running_executions: n.running,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "monitoring", security(()),
    responses((status = 200, description = "Prometheus metrics, OpenMetrics text format", body = String, content_type = "application/openmetrics-text")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::render(&gauges(&state)),
    )
}

/// This node's queue as `/metrics` and the operators' page show it.
pub(crate) fn gauges(state: &AppState) -> crate::metrics::Gauges {
    match &state.dispatcher {
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
    }
}
