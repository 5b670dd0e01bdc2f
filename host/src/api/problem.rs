//! RFC 9457 problem details: every error the API answers, with the field errors of a
//! validation failure listed in `errors`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProblemFieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemFieldError>,
    /// On a 409 for a forbidden transition: the status the schedule is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::model::ScheduleStatus>)]
    pub current_status: Option<&'static str>,
    /// Sent as `Retry-After` (seconds) on a 429.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            current_status: None,
            retry_after: None,
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found", detail)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad Request", detail)
    }

    pub fn invalid(errors: Vec<ProblemFieldError>) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation Failed",
            format!("{} field error(s)", errors.len()),
        );
        p.errors = errors;
        p
    }

    pub fn invalid_fields(errors: Vec<crate::recurrence::FieldError>) -> Self {
        Self::invalid(
            errors
                .into_iter()
                .map(|e| ProblemFieldError {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        )
    }

    /// The database cannot be reached: the client may try again shortly.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "database unreachable");
        let mut p = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "the database is unreachable; nothing was changed, try again shortly",
        );
        p.retry_after = Some(2);
        p
    }

    /// A fault on our side. The detail is logged, not shown: it may name internals.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "internal error; see the server log",
        )
    }
}

/// A storage failure: 503 while the database is unreachable, otherwise a 500 whose detail
/// (a driver's message) stays in the log.
impl From<crate::store::StoreError> for Problem {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Unavailable(m) => Problem::unavailable(m),
            e => Problem::internal(e),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after;
        let mut resp = (status, axum::Json(self)).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}
