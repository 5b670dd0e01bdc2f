//! The HTTP API: routes, authentication, request/response types and problem+json errors. It
//! holds no business rules: it parses requests into typed values once, at the edge, calls the
//! service and renders the answers.

pub mod auth;
mod bulk;
mod calendar;
mod calendar_cache;
pub mod extract;
mod feeds;
mod ics_import;
mod jobs;
pub(crate) mod monitoring;
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
use tokio::net::TcpListener;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
    /// The pages' signed-in browsers.
    pub sessions: crate::web::Sessions,
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

/// Every route with its OpenAPI operation, registered once: the router and the document are
/// both made from this list, so neither can have a route the other lacks.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    use schedules as s;
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(monitoring::metrics))
        .routes(routes!(openapi::serve))
        .routes(routes!(monitoring::alerts))
        .routes(routes!(monitoring::cluster))
        .routes(routes!(plugins::list))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::get))
        .routes(routes!(s::create, s::list))
        .routes(routes!(reference::patterns))
        .routes(routes!(reference::timezones))
        .routes(routes!(s::planned::upcoming))
        .routes(routes!(s::planned::preview))
        .routes(routes!(calendar::calendar))
        .routes(routes!(bulk::create))
        .routes(routes!(ics_import::import))
        .routes(routes!(bulk::update))
        .routes(routes!(bulk::transition))
        .routes(routes!(s::planned::next))
        .routes(routes!(s::get, s::update, s::delete))
        .routes(routes!(s::pause))
        .routes(routes!(s::resume))
        .routes(routes!(s::cancel))
        .routes(routes!(s::clone))
        .routes(routes!(s::run))
        .routes(routes!(s::executions))
        .routes(routes!(series::create))
        .routes(routes!(series::get, series::cancel))
        .routes(routes!(feeds::create, feeds::list))
        .routes(routes!(feeds::revoke))
        .routes(routes!(feeds::calendar))
}

pub fn router(state: AppState) -> Router {
    let (router, _) = routes().split_for_parts();
    router
        .merge(crate::web::routes())
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

#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "monitoring", security(()),
    responses((status = 200, description = "The server is up", body = String, content_type = "text/plain")))]
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
