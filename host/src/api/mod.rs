//! The HTTP API: routes, request/response types and problem+json errors. It holds no business
//! rules; it parses requests into typed values once, at the edge, and renders the answers.

mod jobs;
mod plugins;
mod problem;

use std::future::Future;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::plugins::PluginHost;
use crate::store::Store;
pub use problem::Problem;

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub plugins: PluginHost,
    pub store: Store,
    pub job_system_kind: &'static str,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/plugins", get(plugins::list))
        .route("/v1/jobs", get(jobs::list))
        .route("/v1/jobs/{id}", get(jobs::get))
        .fallback(|| async { Problem::not_found("no such route") })
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Serve until `shutdown` resolves, then finish the requests in flight.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
