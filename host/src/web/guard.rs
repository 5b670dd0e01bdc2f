//! Who may see a page and who may change something through one. `Viewer` is a signed-in
//! browser (without a session a page redirects to `/login`); `Posted<T>` is a form post that
//! came from one of this server's own pages: its Origin (and the browser's Sec-Fetch-Site)
//! is this site, and it carries the session's CSRF token. Anything else is a 403 that changes
//! nothing.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::PageError;
use super::session::{self, Session};
use crate::api::AppState;

/// A signed-in browser.
pub struct Viewer {
    pub session: Session,
    /// The session cookie's value (sign-out ends it).
    pub id: String,
}

/// The session a request's cookie names, if it is live.
pub fn session_of(state: &AppState, headers: &HeaderMap) -> Option<(String, Session)> {
    let header = headers.get(COOKIE)?.to_str().ok()?;
    let id = session::cookie(header, session::COOKIE)?;
    let s = state.sessions.get(id)?;
    Some((id.to_string(), s))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match session_of(state, &parts.headers) {
            Some((id, session)) => Ok(Viewer { session, id }),
            None => {
                let back = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let to = format!("/login?next={}", urlencoding(back));
                Err(Redirect::to(&to).into_response())
            }
        }
    }
}

fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Whether a post was sent by a page of this site: a browser says where a request comes from
/// (`Sec-Fetch-Site`, `Origin`); one that names another site is refused. A client sending
/// neither is no browser carrying someone's cookie, and the CSRF token still stands.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some(s) if s != "same-origin" && s != "none") {
        return false;
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let origin = origin.to_str().ok();
    match (origin, host) {
        (Some(o), Some(h)) => o
            .strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
            .is_some_and(|rest| rest == h),
        _ => false,
    }
}

/// A form post from a signed-in browser on one of this site's pages.
pub struct Posted {
    pub viewer: Viewer,
    body: axum::body::Bytes,
}

impl Posted {
    /// The form's fields (the CSRF token among them) as `T`.
    pub fn form<T: serde::de::DeserializeOwned>(&self) -> Result<T, PageError> {
        serde_urlencoded::from_bytes(&self.body).map_err(|e| {
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The form is malformed: {e}"),
            )
        })
    }
}

#[derive(serde::Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
}

fn forbidden(why: &str) -> Response {
    PageError::new(StatusCode::FORBIDDEN, why).into_response()
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        if !same_origin(req.headers()) {
            return Err(forbidden("This form was sent from another site."));
        }
        let Some((id, session)) = session_of(state, req.headers()) else {
            return Err(forbidden("You are not signed in (or your session ended)."));
        };
        let body = axum::body::to_bytes(req.into_body(), crate::api::MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                PageError::new(StatusCode::BAD_REQUEST, "The form could not be read.")
                    .into_response()
            })?;
        let token: Token = serde_urlencoded::from_bytes(&body).unwrap_or(Token {
            csrf: String::new(),
        });
        if !constant_time_eq(token.csrf.as_bytes(), session.csrf.as_bytes()) {
            return Err(forbidden(
                "This form is out of date or was not sent by this site. Reload the page and try again.",
            ));
        }
        Ok(Posted {
            viewer: Viewer { session, id },
            body,
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
