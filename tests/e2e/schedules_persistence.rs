//! Schedules (with their executions and the local job system's jobs) survive a restart exactly
//! as they were, and concurrent writes to one schedule lose nothing.

use crate::common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Api, Server, once_body, weekly_body};
use serde_json::{Value, json};

/// Everything a user can read: the list, and each schedule with its executions, as text
/// (without the countdowns, which move with the clock).
async fn everything(api: &Api) -> Vec<String> {
    let mut list = api.get("/v1/schedules?limit=1000").await.expect(200);
    let mut out = Vec::new();
    for s in list["items"].as_array_mut().unwrap() {
        *s = common::stable(s.take());
        let id = Api::id(s);
        out.push(api.schedule(&id).await.to_string());
        out.push(
            api.get(&format!("/v1/schedules/{id}/executions"))
                .await
                .text,
        );
    }
    out.insert(0, list.to_string());
    out.push(api.get("/v1/jobs?limit=1000").await.text);
    out
}

#[tokio::test]
async fn schedules_survive_a_restart_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let user = uuid::Uuid::new_v4().to_string();
    let mut server = Server::start(dir.path(), &[]);
    let token = server.token(&user);
    let api = Api::new(&server, Some(token.clone()));

    let weekly = Api::id(
        &api.create(&weekly_body(
            "weekly",
            "Europe/Berlin",
            &[1, 3],
            "09:00",
            "2030-03-25",
        ))
        .await,
    );
    let mut body = once_body("once", "2030-01-15T13:00");
    body["timezone"] = json!("Asia/Tokyo");
    body["priority"] = json!("urgent");
    body["max_runs"] = json!(3);
    body["description"] = json!("sent once");
    let once = Api::id(&api.create(&body).await);
    let paused = Api::id(
        &api.create(&weekly_body(
            "paused",
            "America/New_York",
            &[5],
            "18:30",
            "2030-03-25",
        ))
        .await,
    );
    let cancelled = Api::id(
        &api.create(&weekly_body(
            "cancelled",
            "UTC",
            &[2],
            "07:15",
            "2030-03-25",
        ))
        .await,
    );
    let ran = Api::id(
        &api.create(&weekly_body(
            "ran",
            "Europe/London",
            &[7],
            "12:00",
            "2030-03-25",
        ))
        .await,
    );
    api.post_empty(&format!("/v1/schedules/{paused}/pause"))
        .await
        .expect(200);
    api.post_empty(&format!("/v1/schedules/{cancelled}/run"))
        .await
        .expect(201);
    api.post_empty(&format!("/v1/schedules/{cancelled}/cancel"))
        .await
        .expect(200);
    api.post_empty(&format!("/v1/schedules/{ran}/run"))
        .await
        .expect(201);
    api.post_empty(&format!(
        "/v1/schedules/{ran}/run?count_toward_max_runs=true"
    ))
    .await
    .expect(201);
    api.put(
        &format!("/v1/schedules/{weekly}"),
        &json!({"name": "weekly, renamed", "timezone": "Asia/Kolkata"}),
    )
    .await
    .expect(200);
    api.post(
        &format!("/v1/schedules/{once}/clone"),
        &json!({"name": "clone"}),
    )
    .await
    .expect(201);
    let deleted = Api::id(
        &api.create(&once_body("deleted", "2030-01-15T12:00:00Z"))
            .await,
    );
    api.post_empty(&format!("/v1/schedules/{deleted}/run"))
        .await
        .expect(201);
    api.delete(&format!("/v1/schedules/{deleted}"))
        .await
        .expect(204);
    for s in api.list_all("").await {
        api.settled_executions(&Api::id(&s)).await;
    }
    let before = everything(&api).await;
    assert_eq!(before.len(), 1 + 2 * 6 + 1);
    // Each run's job is recorded (with the run's outcome), under its execution's id.
    let mut ran = Vec::new();
    for s in api.list_all("").await {
        for e in api.executions(&Api::id(&s)).await {
            if let Some(job) = e["job_id"].as_str() {
                ran.push((
                    job.to_string(),
                    e["execution_id"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    let jobs = api.get("/v1/jobs?limit=1000").await.expect(200);
    let mut recorded: Vec<(String, String)> = jobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["job_id"].as_str().unwrap().to_string(),
                j["idempotency_key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    recorded.sort();
    assert!(!ran.is_empty());
    for run in &ran {
        assert!(recorded.contains(run), "{run:?} not among {recorded:?}");
    }
    // The deleted schedule's run made a job too if it started before the delete (deleting the
    // schedule does not unmake it); nothing else is recorded.
    assert!(recorded.len() <= ran.len() + 1, "{recorded:?}");

    assert!(
        server.terminate(Duration::from_secs(15)),
        "SIGTERM stops the server cleanly"
    );
    // A token made while no server runs works after the restart too.
    let later = server.token(&user);
    let server = Server::start(dir.path(), &[]);
    let api = Api::new(&server, Some(token));
    assert_eq!(everything(&api).await, before);
    assert_eq!(everything(&api.with_token(Some(&later))).await, before);
    api.get(&format!("/v1/schedules/{deleted}"))
        .await
        .problem(404);
    api.get(&format!("/v1/schedules/{deleted}/executions"))
        .await
        .problem(404);
    let statuses: Vec<Value> = api
        .list_all("")
        .await
        .iter()
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            "active",
            "active",
            "paused",
            "cancelled",
            "active",
            "active"
        ]
    );
}

#[tokio::test]
async fn parallel_updates_and_counted_runs_lose_nothing() {
    let (_dir, _server, api) = common::start_with_user();
    let s = api
        .create(&weekly_body(
            "contended",
            "Europe/Berlin",
            &[1],
            "09:00",
            "2030-03-25",
        ))
        .await;
    let id = Api::id(&s);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (a, sid) = (api.clone(), id.clone());
        tasks.spawn(async move {
            a.put(
                &format!("/v1/schedules/{sid}"),
                &json!({"name": format!("name-{i}")}),
            )
            .await
        });
        let (a, sid) = (api.clone(), id.clone());
        tasks.spawn(async move {
            a.post_empty(&format!(
                "/v1/schedules/{sid}/run?count_toward_max_runs=true"
            ))
            .await
        });
    }
    let mut names = HashSet::new();
    let mut runs = HashSet::new();
    while let Some(r) = tasks.join_next().await {
        let r = r.unwrap();
        match r.status {
            200 => assert!(names.insert(r.json()["name"].as_str().unwrap().to_string())),
            201 => assert!(runs.insert(r.json()["execution_id"].as_str().unwrap().to_string())),
            _ => panic!("{} {}", r.status, r.text),
        }
    }
    assert_eq!((names.len(), runs.len()), (50, 50));
    let after = api.get(&format!("/v1/schedules/{id}")).await.expect(200);
    assert_eq!(after["run_count"], 50, "{after}");
    assert_eq!(after["status"], "active");
    assert_eq!(after["next_run_at"], "2030-03-25T08:00:00Z");
    assert!(names.contains(after["name"].as_str().unwrap()), "{after}");
    let listed: HashSet<String> = api
        .executions(&id)
        .await
        .iter()
        .map(|e| e["execution_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, runs);
}
