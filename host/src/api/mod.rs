//! The HTTP API: routes, authentication, request/response types and problem+json errors. It
//! holds no business rules: it parses requests into typed values once, at the edge, calls the
//! service and renders the answers.

pub mod auth;
mod bulk;
mod calendar;
mod calendar_cache;
pub mod extract;
mod jobs;
mod monitoring;
mod openapi;
mod plugins;
mod problem;
mod reference;
pub mod schedules;
mod series;
mod serve;

// The field reader is pure, so it lives with the recurrence engine (and its fuzz target).
pub use sgsched_recurrence::fields;

use std::future::Future;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::plugins::PluginHost;
use crate::service::Scheduler;
pub use auth::TokenCache;
pub use calendar_cache::CalendarCache;
pub use problem::{Problem, ProblemFieldError};

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What every handler can reach: one `Arc`, because axum clones the state for every request
/// and cloning the parts one by one was a dozen contended reference-count updates each time.
#[derive(Clone)]
pub struct AppState(std::sync::Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        Self(std::sync::Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

pub struct AppParts {
    pub plugins: PluginHost,
    pub scheduler: Scheduler,
    pub tokens: TokenCache,
    pub job_system_kind: &'static str,
    /// The executor's queue, for `/metrics`; `None` where no executor runs.
    pub dispatcher: Option<std::sync::Arc<crate::executor::Dispatcher>>,
    /// Requests per user; `None` for no limit.
    pub api_rate: Option<std::sync::Arc<governor::DefaultKeyedRateLimiter<crate::model::UserId>>>,
    /// Rendered calendars, reused while the user's data is unchanged.
    pub calendar_cache: CalendarCache,
    /// What computing calendars keeps across requests (schedules, timings, a gate).
    pub calendar: crate::calendar::Context,
}

/// A per-user API rate limiter allowing `per_minute` requests a minute (with that burst).
pub fn api_rate_limiter(
    per_minute: u32,
) -> Option<std::sync::Arc<governor::DefaultKeyedRateLimiter<crate::model::UserId>>> {
    let n = std::num::NonZeroU32::new(per_minute)?;
    Some(std::sync::Arc::new(governor::RateLimiter::keyed(
        governor::Quota::per_minute(n),
    )))
}

pub fn router(state: AppState) -> Router {
    use schedules as s;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(monitoring::metrics))
        .route("/v1/openapi.json", get(openapi::serve))
        .route("/v1/alerts", get(monitoring::alerts))
        .route("/v1/plugins", get(plugins::list))
        .route("/v1/jobs", get(jobs::list))
        .route("/v1/jobs/{id}", get(jobs::get))
        .route("/v1/schedules", post(s::create).get(s::list))
        .route("/v1/schedules/patterns", get(reference::patterns))
        .route("/v1/schedules/series", post(series::create))
        .route(
            "/v1/schedules/series/{id}",
            get(series::get).delete(series::cancel),
        )
        .route("/v1/schedules/upcoming", get(s::planned::upcoming))
        .route("/v1/schedules/calendar", get(calendar::calendar))
        .route("/v1/schedules/bulk", post(bulk::create))
        .route("/v1/schedules/bulk/update", post(bulk::update))
        .route("/v1/schedules/bulk/{action}", post(bulk::transition))
        .route("/v1/schedules/{id}/next", get(s::planned::next))
        .route("/v1/schedules/timezones", get(reference::timezones))
        .route(
            "/v1/schedules/{id}",
            get(s::get).put(s::update).delete(s::delete),
        )
        .route("/v1/schedules/{id}/pause", post(s::pause))
        .route("/v1/schedules/{id}/resume", post(s::resume))
        .route("/v1/schedules/{id}/cancel", post(s::cancel))
        .route("/v1/schedules/{id}/clone", post(s::clone))
        .route("/v1/schedules/{id}/run", post(s::run))
        .route("/v1/schedules/{id}/executions", get(s::executions))
        .fallback(|| async { Problem::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                "method not allowed on this route",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(too_large))
        .with_state(state)
}

/// Bodies declared over the limit get 413. Up to a bound the body is read and discarded first:
/// answering while the client is still sending makes it see a reset instead of the 413.
async fn too_large(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    const DRAIN_AT_MOST: usize = 16 << 20;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(n) if n > MAX_BODY_BYTES => {
            if n <= DRAIN_AT_MOST {
                let _ = axum::body::to_bytes(req.into_body(), DRAIN_AT_MOST).await;
            }
            Problem::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large",
                format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
            )
            .into_response()
        }
        _ => next.run(req).await,
    }
}

async fn healthz() -> &'static str {
    "ok"
}

/// A client must send a request's headers within this long, and a keep-alive connection idle
/// this long is closed (hyper's default deadline; `serve --header-timeout-secs`).
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Serve until `shutdown` resolves, then finish the requests in flight.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    header_timeout: std::time::Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve::serve(listener, router(state), header_timeout, shutdown).await
}
