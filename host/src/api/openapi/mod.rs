//! The OpenAPI 3.1 document served at `GET /v1/openapi.json`, generated with `utoipa` from the
//! `#[utoipa::path]` of each handler, registered with its route in `api::routes` (so the router
//! and the document cannot disagree), the API's response types and the request schemas in
//! `types`; `tests/e2e/openapi.rs` walks every path against the server.

pub mod types;

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

use crate::api::Problem;

#[derive(OpenApi)]
#[openapi(
    info(title = "sgsched", description = "Story-Genius job scheduler API. Errors are RFC 9457 problem+json."),
    components(schemas(
        Problem,
        crate::api::ProblemFieldError,
        types::WeekdayNumber,
        types::DayOfMonth,
        types::Month,
        types::Hour,
        types::Minute,
        types::SetPosition,
        types::DayOfYear,
        types::WeekOfYear,
        // Named by path and query parameters, which utoipa does not collect on its own.
        types::BulkAction,
        types::CalendarGroupBy,
    )),
    security(("bearer" = [])),
)]
struct ApiDoc;

/// The bearer scheme, and the answers every route shares: 401/429 where a token is needed,
/// 400 for malformed JSON or query strings, 413 for bodies over the limit.
struct Common;

fn problem(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

impl utoipa::Modify for Common {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                // `security(())` on a path marks it public: an empty requirement.
                let public = op.security.as_ref().is_some_and(|s| {
                    serde_json::to_value(s).is_ok_and(|v| {
                        v.as_array().is_some_and(|a| {
                            a.iter()
                                .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
                        })
                    })
                });
                let add = |op: &mut utoipa::openapi::path::Operation, code: &str, desc: &str| {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| problem(desc).into());
                };
                if !path.starts_with("/v1/") || public {
                    continue;
                }
                add(op, "400", "Malformed JSON body or query string");
                add(op, "401", "Missing or invalid bearer token");
                add(
                    op,
                    "429",
                    "API rate limit exceeded; see `Retry-After` (seconds)",
                );
                if op.request_body.is_some() {
                    add(op, "413", "Body larger than 1 MiB");
                }
            }
        }
    }
}

/// The document as a JSON value.
pub fn document() -> &'static serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, paths) = crate::api::routes().split_for_parts();
        let mut doc = ApiDoc::openapi().merge_from(paths);
        // After the merge: `Common` adds to every operation, so it needs them all.
        utoipa::Modify::modify(&Common, &mut doc);
        serde_json::to_value(doc).expect("the OpenAPI document serializes")
    })
}

#[utoipa::path(get, path = "/v1/openapi.json", operation_id = "openapi", tag = "reference", security(()),
    responses((status = 200, description = "This document", body = Object)))]
pub async fn serve() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        axum::Json(document()),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    /// utoipa takes only literals for lengths: the document's must be the ones the API checks.
    #[test]
    fn text_limits_are_the_parsers() {
        use crate::model::limits;
        let doc = super::document();
        for schema in ["CreateScheduleRequest", "UpdateScheduleRequest"] {
            let props = &doc["components"]["schemas"][schema]["properties"];
            assert_eq!(props["name"]["maxLength"], limits::NAME_MAX, "{schema}");
            assert_eq!(
                props["description"]["maxLength"],
                limits::DESCRIPTION_MAX,
                "{schema}"
            );
        }
        let create = &doc["components"]["schemas"]["CreateScheduleRequest"]["properties"];
        assert_eq!(create["job_type"]["maxLength"], limits::JOB_TYPE_MAX);
    }

    /// schemathesis refused `POST /v1/schedules/bulk/{action}`: its parameter named a
    /// schema the document did not contain.
    #[test]
    fn every_reference_resolves() {
        let doc = super::document();
        let mut found = Vec::new();
        refs(doc, &mut found);
        assert!(!found.is_empty());
        for r in found {
            let pointer = r.strip_prefix('#').expect("a local reference");
            assert!(doc.pointer(pointer).is_some(), "unresolvable {r}");
        }
    }
}
