//! `GET /v1/openapi.json`: an OpenAPI 3.1 document that covers every route of the router, and
//! whose every operation, walked against the real server, answers only statuses it lists, with
//! bodies that validate against the schemas it declares (JSON Schema 2020-12).

use crate::common;

use common::Api;
use reqwest::Method;
use serde_json::{Value, json};

/// Every route `api::router` registers, as (method, path). Kept by hand on purpose: a route
/// added to the router but not here, or here but not in the document, fails the test.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/v1/openapi.json"),
    ("get", "/v1/alerts"),
    ("get", "/v1/cluster"),
    ("get", "/v1/plugins"),
    ("get", "/v1/jobs"),
    ("get", "/v1/jobs/{id}"),
    ("post", "/v1/schedules"),
    ("get", "/v1/schedules"),
    ("get", "/v1/schedules/patterns"),
    ("get", "/v1/schedules/upcoming"),
    ("post", "/v1/schedules/preview"),
    ("get", "/v1/schedules/calendar"),
    ("post", "/v1/schedules/bulk"),
    ("post", "/v1/schedules/bulk/update"),
    ("post", "/v1/schedules/bulk/{action}"),
    ("get", "/v1/schedules/{id}/next"),
    ("get", "/v1/schedules/timezones"),
    ("get", "/v1/schedules/{id}"),
    ("put", "/v1/schedules/{id}"),
    ("delete", "/v1/schedules/{id}"),
    ("post", "/v1/schedules/{id}/pause"),
    ("post", "/v1/schedules/{id}/resume"),
    ("post", "/v1/schedules/{id}/cancel"),
    ("post", "/v1/schedules/{id}/clone"),
    ("post", "/v1/schedules/{id}/run"),
    ("get", "/v1/schedules/{id}/executions"),
    ("post", "/v1/schedules/series"),
    ("get", "/v1/schedules/series/{id}"),
    ("delete", "/v1/schedules/series/{id}"),
    ("post", "/v1/schedules/import"),
    ("post", "/v1/feeds"),
    ("get", "/v1/feeds"),
    ("delete", "/v1/feeds/{id}"),
    ("get", "/v1/ics/{secret}"),
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(*m) {
                out.push((m.to_string(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// A schema of the document made standalone: refs resolve against the copied components.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let wrapped = json!({ "allOf": [schema], "components": doc["components"] });
    jsonschema::draft202012::new(&wrapped)
        .unwrap_or_else(|e| panic!("invalid schema {schema}: {e}"))
}

fn component<'a>(doc: &'a Value, schema: &Value) -> &'a Value {
    fn find_ref(v: &Value) -> Option<&str> {
        match v {
            Value::Object(o) => o
                .get("$ref")
                .and_then(Value::as_str)
                .or_else(|| o.values().find_map(find_ref)),
            Value::Array(a) => a.iter().find_map(find_ref),
            _ => None,
        }
    }
    let r = find_ref(schema).unwrap_or_else(|| panic!("no $ref in {schema}"));
    let name = r.rsplit('/').next().unwrap();
    &doc["components"]["schemas"][name]
}

fn example(doc: &Value, name: &str) -> Value {
    let e = doc["components"]["schemas"][name]["example"].clone();
    assert!(e.is_object(), "the document gives {name} an example");
    e
}

/// Check one answer against the operation: a listed status, a listed content type, and a JSON
/// body valid against the declared schema.
fn check(doc: &Value, what: &str, op: &Value, resp: &common::Resp) {
    let code = resp.status.to_string();
    let Some(declared) = op["responses"].get(&code) else {
        panic!(
            "{what}: answered {code}, which the document does not list: {}",
            resp.text
        )
    };
    let Some(content) = declared.get("content").and_then(Value::as_object) else {
        assert!(
            resp.text.is_empty(),
            "{what}: {code} has no documented body but got {}",
            resp.text
        );
        return;
    };
    let ct = resp.content_type.split(';').next().unwrap_or("").trim();
    let Some(media) = content.get(ct) else {
        panic!(
            "{what}: {code} answered as {ct:?}, documented {:?}",
            content.keys().collect::<Vec<_>>()
        )
    };
    if !ct.ends_with("json") {
        return;
    }
    let body: Value = serde_json::from_str(&resp.text)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", resp.text));
    let v = validator(doc, &media["schema"]);
    let errors: Vec<String> = v
        .iter_errors(&body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: {code} body does not match its schema: {errors:#?}\n{body:#}"
    );
}

struct Ctx {
    api: Api,
    doc: Value,
}

impl Ctx {
    async fn schedule(&self) -> String {
        let s = self
            .api
            .post(
                "/v1/schedules",
                &example(&self.doc, "CreateScheduleRequest"),
            )
            .await
            .expect(201);
        s["schedule_id"].as_str().unwrap().to_string()
    }

    async fn series(&self) -> String {
        let s = self
            .api
            .post(
                "/v1/schedules/series",
                &example(&self.doc, "CreateSeriesRequest"),
            )
            .await
            .expect(201);
        s["series_id"].as_str().unwrap().to_string()
    }

    /// A new calendar feed: its id and its URL's secret.
    async fn feed(&self) -> (String, String) {
        let f = self
            .api
            .post("/v1/feeds", &example(&self.doc, "CreateFeedRequest"))
            .await
            .expect(201);
        let url = f["url"].as_str().unwrap();
        let secret = url.rsplit('/').next().unwrap().to_string();
        (f["feed_id"].as_str().unwrap().to_string(), secret)
    }

    /// A job of the local job system: run a schedule now and wait for its job.
    async fn job(&self) -> String {
        let id = self.schedule().await;
        self.api
            .post_empty(&format!("/v1/schedules/{id}/run"))
            .await
            .expect(201);
        for _ in 0..100 {
            let jobs = self.api.get("/v1/jobs").await.expect(200);
            if let Some(j) = jobs["items"].as_array().and_then(|a| a.first()) {
                return j["job_id"].as_str().unwrap().to_string();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no job appeared after a manual run")
    }

    /// The path with real ids, a query with the required parameters' examples, and a valid
    /// body.
    async fn request(&self, path: &str, op: &Value) -> (String, Option<Value>) {
        self.request_with(path, op, None).await
    }

    /// As `request`, with `id` (if given) in place of a real one.
    async fn request_with(
        &self,
        path: &str,
        op: &Value,
        id: Option<&str>,
    ) -> (String, Option<Value>) {
        let mut url = path.to_string();
        if let Some(id) = id {
            url = url.replace("{id}", id);
        } else if path.starts_with("/v1/schedules/series/") {
            url = url.replace("{id}", &self.series().await);
        } else if path.starts_with("/v1/jobs/") {
            url = url.replace("{id}", &self.job().await);
        } else if path.starts_with("/v1/feeds/") {
            url = url.replace("{id}", &self.feed().await.0);
        } else if path.starts_with("/v1/ics/") {
            url = url.replace("{secret}", &self.feed().await.1);
        } else if path.contains("{id}") {
            let id = self.schedule().await;
            if path.ends_with("/resume") {
                // Only a paused schedule resumes.
                self.api
                    .post_empty(&format!("/v1/schedules/{id}/pause"))
                    .await
                    .expect(200);
            }
            url = url.replace("{id}", &id);
        }
        url = url.replace("{action}", "pause");
        let mut query = Vec::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "query" && p["required"] == true {
                let ex = p["example"].as_str().or(p["schema"]["example"].as_str());
                let ex = ex.unwrap_or_else(|| {
                    panic!(
                        "{path}: required query parameter {} has no example",
                        p["name"]
                    )
                });
                query.push(format!("{}={ex}", p["name"].as_str().unwrap()));
            }
        }
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let body = match op.get("requestBody") {
            None => None,
            Some(rb) => Some(match path {
                "/v1/schedules/bulk" => {
                    let item = example(&self.doc, "CreateScheduleRequest");
                    json!({ "schedules": [item.clone(), item], "naming_pattern": "{name} #{n}" })
                }
                "/v1/schedules/bulk/update" => {
                    json!({ "schedule_ids": [self.schedule().await], "changes": example(&self.doc, "UpdateScheduleRequest") })
                }
                "/v1/schedules/bulk/{action}" => json!({ "schedule_ids": [self.schedule().await] }),
                _ => {
                    let schema = &rb["content"]["application/json"]["schema"];
                    let c = component(&self.doc, schema);
                    assert!(
                        c["example"].is_object(),
                        "{path}: the request body's schema has an example"
                    );
                    c["example"].clone()
                }
            }),
        };
        (url, body)
    }
}

fn method(m: &str) -> Method {
    Method::from_bytes(m.to_uppercase().as_bytes()).unwrap()
}

#[tokio::test]
async fn the_document_is_openapi_3_1_covers_every_route_and_matches_the_server() {
    let (_dir, _server, api) = common::start_with_user();

    // The document itself needs no token.
    let resp = api.with_token(None).get("/v1/openapi.json").await;
    let doc = resp.expect(200);
    assert!(
        resp.content_type.starts_with("application/json"),
        "{}",
        resp.content_type
    );
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "openapi: {}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let ops = operations(&doc);
    let documented: Vec<(String, String)> =
        ops.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    for (m, p) in ROUTES {
        assert!(
            documented.contains(&(m.to_string(), p.to_string())),
            "the router's {m} {p} is missing from the document"
        );
    }
    for (m, p) in &documented {
        assert!(
            ROUTES.contains(&(m.as_str(), p.as_str())),
            "the document lists {m} {p}, which the router does not have"
        );
    }

    // The validation below is real: a schedule without its required fields is refused.
    let view = validator(
        &doc,
        &json!({ "$ref": "#/components/schemas/ScheduleView" }),
    );
    assert!(!view.is_valid(&json!({ "schedule_id": "x" })));

    // Every schema in the document compiles, with its example (if any) valid against it.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let v = validator(&doc, schema);
        if let Some(ex) = schema.get("example") {
            let errors: Vec<String> = v.iter_errors(ex).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{name}'s example does not match it: {errors:?}"
            );
        }
    }

    let ctx = Ctx {
        api,
        doc: doc.clone(),
    };
    let anonymous = ctx.api.with_token(None);
    for (m, path, op) in &ops {
        let public = op["security"].as_array().is_some_and(|s| {
            s.iter()
                .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
        });

        // The happy path: a real id, the required parameters, a valid body.
        let (url, body) = ctx.request(path, op).await;
        let what = format!("{m} {url}");
        let resp = ctx
            .api
            .send(
                method(m),
                &url,
                body.as_ref().map(|b| b.to_string().into_bytes()),
            )
            .await;
        check(&doc, &what, op, &resp);
        assert!(
            (200..300).contains(&resp.status),
            "{what}: the documented example should succeed, got {}: {}",
            resp.status,
            resp.text
        );

        if public {
            continue;
        }
        // Without a token: 401, as listed.
        let (url, body) = ctx.request(path, op).await;
        let resp = anonymous
            .send(method(m), &url, body.map(|b| b.to_string().into_bytes()))
            .await;
        assert_eq!(resp.status, 401, "{m} {url} without a token: {}", resp.text);
        check(&doc, &format!("{m} {url} (no token)"), op, &resp);

        // An unknown query parameter: whatever the route answers, it is documented.
        let (url, body) = ctx.request(path, op).await;
        let sep = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{sep}no_such_param=1");
        let resp = ctx
            .api
            .send(method(m), &url, body.map(|b| b.to_string().into_bytes()))
            .await;
        check(&doc, &format!("{m} {url}"), op, &resp);

        // Another id: 404 where the route has one.
        if path.contains("{id}") {
            let unknown = uuid::Uuid::new_v4().to_string();
            let (other, body) = ctx.request_with(path, op, Some(&unknown)).await;
            let resp = ctx
                .api
                .send(method(m), &other, body.map(|b| b.to_string().into_bytes()))
                .await;
            assert_eq!(resp.status, 404, "{m} {other}: {}", resp.text);
            check(&doc, &format!("{m} {other}"), op, &resp);
        }

        // Malformed JSON: 400 where the route takes a body.
        if op.get("requestBody").is_some() {
            let (url, _) = ctx.request(path, op).await;
            let resp = ctx
                .api
                .send(method(m), &url, Some(b"{not json".to_vec()))
                .await;
            assert_eq!(
                resp.status, 400,
                "{m} {url} with malformed JSON: {}",
                resp.text
            );
            check(&doc, &format!("{m} {url} (malformed)"), op, &resp);
        }
    }
}
