//! A page's failure as a page: the status and a sentence for a person, never a driver message
//! or a stack. Service errors map here once, as they map to problem+json for the API.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::service::ServiceError;
use crate::store::StoreError;

pub struct PageError {
    status: StatusCode,
    message: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Option<super::Nav>,
    title: &'a str,
    status: u16,
    message: &'a str,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "There is no such page here.")
    }
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        let status = match &e {
            ServiceError::Invalid(errors) => {
                let each: Vec<String> = errors
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect();
                return Self::new(StatusCode::UNPROCESSABLE_ENTITY, each.join("; "));
            }
            ServiceError::NotFound => return PageError::not_found(),
            ServiceError::Conflict { .. }
            | ServiceError::ConflictMessage(_)
            | ServiceError::Final { .. } => StatusCode::CONFLICT,
            ServiceError::Store(StoreError::Unavailable(_)) => {
                return Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database cannot be reached just now. Try again in a moment.",
                );
            }
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "a page's read or write failed");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on the server; it has been logged.",
                );
            }
            ServiceError::Plugin(_) => StatusCode::BAD_GATEWAY,
        };
        Self::new(status, e.to_string())
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        ServiceError::Store(e).into()
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "rendering a page failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "This page could not be drawn.",
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let page = ErrorPage {
            nav: None,
            title,
            status: self.status.as_u16(),
            message: &self.message,
        };
        let body = page
            .render()
            .unwrap_or_else(|_| "<!doctype html><title>Error</title>".to_string());
        (self.status, Html(body)).into_response()
    }
}
