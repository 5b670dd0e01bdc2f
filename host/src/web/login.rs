//! Signing in with an API token and out again. A valid token starts a session; a wrong one
//! shows the form again with an error and starts nothing.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::PageError;
use super::guard::{Posted, same_origin, session_of};
use super::session;
use crate::api::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    nav: Option<super::Nav>,
    title: &'a str,
    error: Option<&'a str>,
    next: &'a str,
}

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: a path on this site only, never another host.
fn local(next: &str) -> &str {
    let safe = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if safe { next } else { "/calendar" }
}

fn login_page(status: StatusCode, error: Option<&str>, next: &str) -> Response {
    let page = LoginPage {
        nav: None,
        title: "Sign in",
        error,
        next: local(next),
    };
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Redirect {
    match session_of(&state, &headers) {
        Some(_) => Redirect::to("/calendar"),
        None => Redirect::to("/login"),
    }
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Response {
    if session_of(&state, &headers).is_some() {
        return Redirect::to(local(&q.next)).into_response();
    }
    login_page(StatusCode::OK, None, &q.next)
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(c): Form<Credentials>,
) -> Response {
    if !same_origin(&headers) {
        return PageError::new(
            StatusCode::FORBIDDEN,
            "This form was sent from another site.",
        )
        .into_response();
    }
    let token = c.token.trim();
    let user = if token.is_empty() {
        None
    } else {
        match state.tokens.user(&state.scheduler, token).await {
            Ok(u) => u,
            Err(_) => {
                return PageError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Signing in is not possible just now: the database cannot be reached.",
                )
                .into_response();
            }
        }
    };
    let Some(user) = user else {
        return login_page(
            StatusCode::UNAUTHORIZED,
            Some("That token is not valid. Paste the whole token, starting with sgs_."),
            &c.next,
        );
    };
    let id = state.sessions.start(user);
    (
        [(header::SET_COOKIE, session::set_cookie(&id))],
        Redirect::to(local(&c.next)),
    )
        .into_response()
}

pub async fn sign_out(State(state): State<AppState>, posted: Posted) -> Response {
    state.sessions.end(&posted.viewer.id);
    (
        [(header::SET_COOKIE, session::clear_cookie())],
        Redirect::to("/login"),
    )
        .into_response()
}
