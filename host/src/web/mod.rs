//! The pages for people, served beside `/v1`: sign-in, the calendar, schedules with their
//! actions, series, and the operators' overview. Server-rendered with askama (templates checked and compiled with the binary, every
//! value escaped unless a template says otherwise, which ours never do), plain CSS embedded in
//! the binary, and one small script for the schedule form's live preview: every page reads and
//! acts without JavaScript.
//!
//! Pages call the same service as the API, so a page shows and changes exactly what the API
//! would; `guard` decides who may, `session` remembers who signed in.

mod calendar;
mod editor;
mod error;
mod guard;
mod login;
mod operators;
mod schedules;
mod series;
pub mod session;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::api::AppState;
pub use session::Sessions;

/// What every signed-in page's frame needs: the sign-out form's token and where we are.
pub struct Nav {
    pub csrf: String,
    pub section: &'static str,
}

impl Nav {
    fn new(viewer: &guard::Viewer, section: &'static str) -> Self {
        Nav {
            csrf: viewer.session.csrf.clone(),
            section,
        }
    }
}

/// An instant as the pages show it beside a date: "Fri 4 Dec 2026, 18:00 CET", in `tz`.
fn local_time(tz: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&tz)
        .format("%a %-d %b %Y, %H:%M %Z")
        .to_string()
}

/// A record id from a page's path; anything else is as missing.
fn path_id(raw: &str) -> Result<uuid::Uuid, error::PageError> {
    uuid::Uuid::parse_str(raw).map_err(|_| error::PageError::not_found())
}

const STYLE: &str = include_str!("../../assets/app.css");
const SCRIPT: &str = include_str!("../../assets/app.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// The pages' routes; `api::router` mounts them beside `/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(login::home))
        .route("/login", get(login::form).post(login::sign_in))
        .route("/logout", post(login::sign_out))
        .route("/calendar", get(calendar::page))
        .route("/schedules", get(schedules::list))
        .route("/schedules/new", get(editor::new_form).post(editor::create))
        .route("/schedules/{id}", get(schedules::page))
        .route(
            "/schedules/{id}/edit",
            get(editor::edit_form).post(editor::save),
        )
        .route(
            "/schedules/{id}/cancel",
            get(schedules::confirm_cancel).post(schedules::cancel),
        )
        .route("/schedules/{id}/{action}", post(schedules::act))
        .route("/series/{id}", get(series::page))
        .route("/operators", get(operators::page))
        .route("/assets/app.css", get(style))
        .route("/assets/app.js", get(script))
        .layer(axum::middleware::from_fn(headers))
}

/// What a browser is told about every page: no framing, no other origin's scripts, styles or
/// form targets, no sniffing, no caching of pages that show one user's data.
async fn headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; \
         img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    resp
}
