//! Users are isolated: another user's schedule is a 404 on every route, as if it did not exist,
//! and nothing another user tries changes it. Every /v1 route needs a valid bearer token.

use crate::common;

use common::{Api, Server, once_body, weekly_body};
use reqwest::Method;
use serde_json::{Value, json};

/// Every route on one schedule, with a body where the route takes one.
fn routes_on(id: &str) -> Vec<(Method, String, Option<Value>)> {
    let s = format!("/v1/schedules/{id}");
    vec![
        (Method::GET, s.clone(), None),
        (
            Method::PUT,
            s.clone(),
            Some(json!({"name": "taken over", "priority": "urgent"})),
        ),
        (Method::DELETE, s.clone(), None),
        (Method::POST, format!("{s}/pause"), None),
        (Method::POST, format!("{s}/resume"), None),
        (
            Method::POST,
            format!("{s}/resume?run_immediately=true"),
            None,
        ),
        (Method::POST, format!("{s}/cancel"), None),
        (Method::POST, format!("{s}/clone"), None),
        (
            Method::POST,
            format!("{s}/clone"),
            Some(json!({"name": "mine now"})),
        ),
        (Method::POST, format!("{s}/run"), None),
        (
            Method::POST,
            format!("{s}/run?count_toward_max_runs=true"),
            None,
        ),
        (Method::GET, format!("{s}/executions"), None),
    ]
}

/// What user A can see of one schedule (without the countdown), as text.
async fn view(api: &Api, id: &str) -> (String, String) {
    let s = api.schedule(id).await;
    let e = api.get(&format!("/v1/schedules/{id}/executions")).await;
    assert_eq!(e.status, 200);
    (s.to_string(), e.text)
}

/// A's list as text, without the countdowns.
async fn list_text(api: &Api) -> String {
    let mut page = api.get("/v1/schedules").await.expect(200);
    for s in page["items"].as_array_mut().unwrap() {
        *s = common::stable(s.take());
    }
    page.to_string()
}

#[tokio::test]
async fn another_users_schedule_is_a_404_on_every_route_and_stays_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (user_a, user_b) = (
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    );
    let a = Api::new(&server, Some(server.token(&user_a)));
    let b = a.with_token(Some(&server.token(&user_b)));

    let active = Api::id(
        &a.create(&weekly_body(
            "a-weekly",
            "Europe/Berlin",
            &[1],
            "09:00",
            "2030-03-25",
        ))
        .await,
    );
    a.post_empty(&format!("/v1/schedules/{active}/run"))
        .await
        .expect(201);
    let paused = Api::id(&a.create(&once_body("a-once", "2030-01-15T12:00:00Z")).await);
    a.post_empty(&format!("/v1/schedules/{paused}/pause"))
        .await
        .expect(200);
    let ids = [active.clone(), paused.clone()];
    a.settled_executions(&active).await;
    let mut before = Vec::new();
    for id in &ids {
        before.push(view(&a, id).await);
    }
    let list_before = list_text(&a).await;

    for id in &ids {
        for (method, path, body) in routes_on(id) {
            let r = b
                .send(
                    method.clone(),
                    &path,
                    body.map(|v| v.to_string().into_bytes()),
                )
                .await;
            let p = r.problem(404);
            assert!(
                !r.text.contains(&user_a) && !r.text.contains("a-weekly"),
                "{method} {path} leaks: {p}"
            );
        }
    }
    for query in [
        "",
        "?status=active",
        "?status=paused",
        "?job_type=export",
        "?priority=normal",
        "?limit=1000",
    ] {
        let page = b.get(&format!("/v1/schedules{query}")).await.expect(200);
        assert_eq!(page, json!({"items": [], "next_cursor": null}), "{query}");
    }
    // A cursor made from A's id pages nothing of A's for B.
    let page = a.get("/v1/schedules?limit=1").await.expect(200);
    let cursor = page["next_cursor"].as_str().unwrap();
    assert_eq!(
        b.get(&format!("/v1/schedules?cursor={cursor}"))
            .await
            .expect(200)["items"],
        json!([])
    );

    for (id, seen) in ids.iter().zip(&before) {
        assert_eq!(
            &view(&a, id).await,
            seen,
            "B's attempts changed A's schedule {id}"
        );
    }
    assert_eq!(list_text(&a).await, list_before);

    // B's own schedule is invisible to A the same way; a second token of A's sees A's.
    let theirs = Api::id(&b.create(&once_body("b-once", "2030-01-15T12:00:00Z")).await);
    for (method, path, body) in routes_on(&theirs) {
        let r = a
            .send(
                method.clone(),
                &path,
                body.map(|v| v.to_string().into_bytes()),
            )
            .await;
        r.problem(404);
    }
    let listed: Vec<String> = a.list_all("").await.iter().map(Api::id).collect();
    assert_eq!(listed, ids);
    let listed: Vec<String> = b.list_all("").await.iter().map(Api::id).collect();
    assert_eq!(listed, vec![theirs]);
    let a2 = a.with_token(Some(&server.token(&user_a)));
    assert_eq!(list_text(&a2).await, list_before);
}

#[tokio::test]
async fn every_v1_route_needs_a_valid_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let owner = Api::for_new_user(&server);
    let id = Api::id(
        &owner
            .create(&weekly_body("guarded", "UTC", &[1], "09:00", "2030-03-25"))
            .await,
    );
    owner
        .post_empty(&format!("/v1/schedules/{id}/run"))
        .await
        .expect(201);
    owner.settled_executions(&id).await;
    let before = view(&owner, &id).await;

    let mut routes = vec![
        (Method::GET, "/v1/plugins".to_string(), None),
        (Method::GET, "/v1/jobs".to_string(), None),
        (
            Method::GET,
            format!("/v1/jobs/{}", uuid::Uuid::new_v4()),
            None,
        ),
        (Method::GET, "/v1/schedules".to_string(), None),
        (
            Method::POST,
            "/v1/schedules".to_string(),
            Some(once_body("anon", "2030-01-15T12:00:00Z")),
        ),
        (Method::GET, "/v1/schedules/patterns".to_string(), None),
        (Method::GET, "/v1/schedules/timezones".to_string(), None),
    ];
    routes.extend(routes_on(&id));
    let http = reqwest::Client::new();
    let unknown_token = format!("sgs_{}", "0".repeat(64));
    let headers: [Option<String>; 5] = [
        None,
        Some(format!("Bearer {unknown_token}")),
        Some("Bearer ".to_string()),
        Some(format!("Basic {unknown_token}")),
        Some(unknown_token.clone()),
    ];
    for (method, path, body) in &routes {
        for header in &headers {
            let mut req = http.request(method.clone(), server.url(path));
            if let Some(h) = header {
                req = req.header("authorization", h);
            }
            if let Some(b) = body {
                req = req
                    .header("content-type", "application/json")
                    .body(b.to_string());
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 401, "{method} {path} with {header:?}");
            let ct = r.headers()["content-type"].to_str().unwrap().to_string();
            assert!(ct.starts_with("application/problem+json"), "{ct}");
            let p: Value = r.json().await.unwrap();
            assert_eq!(p["status"], 401);
        }
    }
    assert_eq!(
        view(&owner, &id).await,
        before,
        "unauthenticated requests changed nothing"
    );
    assert_eq!(owner.list_all("").await.len(), 1);
    // Outside /v1 no token is needed.
    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
