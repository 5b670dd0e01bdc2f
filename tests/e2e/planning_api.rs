//! Planned runs and monitoring over HTTP: `/v1/schedules/{id}/next` (exact instants across a
//! DST change, max_runs, pause), `/v1/schedules/upcoming` (merged order, window, filters),
//! `/v1/alerts`, `/metrics`, and the per-user API rate limit (429 with Retry-After).

use crate::common;

use common::Server;
use serde_json::{Value, json};

const USER: &str = "0193a1b2-0000-7000-8000-0000000000d1";

struct Api {
    http: reqwest::Client,
    server: Server,
    token: String,
}

impl Api {
    fn start(args: &[&str]) -> (tempfile::TempDir, Api) {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(dir.path(), args);
        let token = server.token(USER);
        (
            dir,
            Api {
                http: reqwest::Client::new(),
                server,
                token,
            },
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.server.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.server.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

fn export_config() -> Value {
    json!({ "project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4" })
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["at"].as_str().unwrap().to_string(),
                o["at_local"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn next_occurrences_are_exact_across_dst_and_honour_max_runs_and_pause() {
    let (_d, api) = Api::start(&[]);
    let (code, s) = api
        .post(
            "/v1/schedules",
            json!({
                "name": "Berlin Mon/Wed", "job_type": "export", "job_config": export_config(),
                "schedule_type": "recurring", "timezone": "Europe/Berlin",
                "recurrence_rule": { "frequency": "weekly", "days_of_week": [1, 3], "time_of_day": "18:00", "start_date": "2027-03-15" }
            }),
        )
        .await;
    assert_eq!(code, 201, "{s}");
    let id = s["schedule_id"].as_str().unwrap();
    let (code, next) = api.get(&format!("/v1/schedules/{id}/next?count=6")).await;
    assert_eq!(code, 200);
    // Europe/Berlin moves to CEST on 28 March 2027: 18:00 is 17:00Z before, 16:00Z after.
    let expected = [
        ("2027-03-15T17:00:00Z", "2027-03-15T18:00:00+01:00"),
        ("2027-03-17T17:00:00Z", "2027-03-17T18:00:00+01:00"),
        ("2027-03-22T17:00:00Z", "2027-03-22T18:00:00+01:00"),
        ("2027-03-24T17:00:00Z", "2027-03-24T18:00:00+01:00"),
        ("2027-03-29T16:00:00Z", "2027-03-29T18:00:00+02:00"),
        ("2027-03-31T16:00:00Z", "2027-03-31T18:00:00+02:00"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(pairs(&next), expected);

    // max_runs caps the plan.
    let r = api
        .http
        .put(api.server.url(&format!("/v1/schedules/{id}")))
        .bearer_auth(&api.token)
        .json(&json!({ "max_runs": 3 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, next) = api.get(&format!("/v1/schedules/{id}/next?count=10")).await;
    assert_eq!(pairs(&next), expected[..3].to_vec());

    // Paused: nothing is planned.
    let (code, _) = api
        .post(&format!("/v1/schedules/{id}/pause"), json!({}))
        .await;
    assert_eq!(code, 200);
    let (_, next) = api.get(&format!("/v1/schedules/{id}/next")).await;
    assert_eq!(
        next,
        json!({ "occurrences": [], "dst_policy": {"gap": "shift_forward", "overlap": "first"} })
    );

    for bad in ["count=0", "count=1001", "count=x", "bogus=1"] {
        let (code, body) = api.get(&format!("/v1/schedules/{id}/next?{bad}")).await;
        assert_eq!(code, 422, "{bad}: {body}");
    }
    let (code, _) = api
        .get("/v1/schedules/0193a1b2-0000-7000-8000-00000000ffff/next")
        .await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn upcoming_merges_schedules_in_time_order_within_the_window() {
    let (_d, api) = Api::start(&[]);
    let now = chrono::Utc::now();
    let at = |h: i64| {
        (now + chrono::Duration::hours(h))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let mut ids = Vec::new();
    for (name, hours, priority) in [
        ("two", 2, "low"),
        ("one", 1, "high"),
        ("thirty", 30, "normal"),
    ] {
        let (code, s) = api
            .post(
                "/v1/schedules",
                json!({ "name": name, "job_type": "export", "job_config": export_config(),
                        "schedule_type": "once", "scheduled_at": at(hours), "priority": priority }),
            )
            .await;
        assert_eq!(code, 201, "{s}");
        ids.push(s["schedule_id"].as_str().unwrap().to_string());
    }
    let names = |v: &Value| -> Vec<String> {
        v["executions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (code, up) = api.get("/v1/schedules/upcoming").await;
    assert_eq!(code, 200);
    assert_eq!(names(&up), ["one", "two"]);
    assert_eq!(up["executions"][0]["at"], at(1));
    assert_eq!(up["executions"][0]["schedule_id"], ids[1].as_str());
    let (_, up) = api.get("/v1/schedules/upcoming?hours_ahead=48").await;
    assert_eq!(names(&up), ["one", "two", "thirty"]);
    let (_, up) = api
        .get("/v1/schedules/upcoming?hours_ahead=48&limit=2")
        .await;
    assert_eq!(names(&up), ["one", "two"]);
    let (_, up) = api
        .get("/v1/schedules/upcoming?hours_ahead=48&priority=low")
        .await;
    assert_eq!(names(&up), ["two"]);
    let (_, up) = api
        .get("/v1/schedules/upcoming?job_type=video_generation")
        .await;
    assert_eq!(names(&up), Vec::<String>::new());
    let (code, _) = api.get("/v1/schedules/upcoming?hours_ahead=0").await;
    assert_eq!(code, 422);
}

#[tokio::test]
async fn alerts_and_metrics() {
    let (_d, api) = Api::start(&[]);
    let (code, alerts) = api.get("/v1/alerts").await;
    assert_eq!((code, alerts), (200, json!({ "alerts": [] })));
    let (_, s) = api
        .post(
            "/v1/schedules",
            json!({ "name": "twice", "job_type": "export", "job_config": export_config(),
                    "schedule_type": "recurring", "max_runs": 2,
                    "recurrence_rule": { "frequency": "daily", "time_of_day": "09:00" } }),
        )
        .await;
    let id = s["schedule_id"].as_str().unwrap();
    let (code, _) = api
        .post(
            &format!("/v1/schedules/{id}/run?count_toward_max_runs=true"),
            json!({}),
        )
        .await;
    assert_eq!(code, 201);
    let (_, alerts) = api.get("/v1/alerts").await;
    assert_eq!(alerts["alerts"].as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts["alerts"][0]["kind"], "approaching_max_runs");
    assert_eq!(alerts["alerts"][0]["message"], "1 of 2 runs used, 1 left");

    // The manual run goes through the executor and the plugin.
    let mut done = false;
    for _ in 0..100 {
        let (_, ex) = api.get(&format!("/v1/schedules/{id}/executions")).await;
        if ex["items"][0]["status"] == "completed" {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(done, "the manual run completed");
    let text = api
        .http
        .get(api.server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("sgsched_executions_total{job_type=\"export\",status=\"completed\"} 1"),
        "{text}"
    );
    assert!(text.contains("sgsched_queue_depth 0"), "{text}");
    assert!(
        text.contains(
            "sgsched_plugin_call_duration_seconds_count{job_type=\"export\",call=\"run\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("sgsched_scheduling_lag_seconds_count 1"),
        "{text}"
    );
}

#[tokio::test]
async fn api_rate_limit_answers_429_with_retry_after() {
    let (_d, api) = Api::start(&["--api-rate-per-minute", "5"]);
    for _ in 0..5 {
        let (code, _) = api.get("/v1/schedules").await;
        assert_eq!(code, 200);
    }
    let r = api
        .http
        .get(api.server.url("/v1/schedules"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry), "{retry}");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // Another user is not affected.
    let other = api.server.token("0193a1b2-0000-7000-8000-0000000000d2");
    let r = api
        .http
        .get(api.server.url("/v1/schedules"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn patterns_and_timezones() {
    let (_d, api) = Api::start(&[]);
    let (code, p) = api.get("/v1/schedules/patterns").await;
    assert_eq!(code, 200);
    let patterns = p["patterns"].as_array().unwrap();
    assert!(patterns.len() >= 12, "{}", patterns.len());
    let by_name = |n: &str| {
        patterns
            .iter()
            .find(|x| x["name"] == n)
            .unwrap_or_else(|| panic!("no preset {n}: {p}"))
    };
    // The brief's six common patterns are there with the brief's rules.
    let weekdays = by_name("weekdays_6pm");
    assert_eq!(
        weekdays["recurrence_rule"]["days_of_week"],
        json!([1, 2, 3, 4, 5])
    );
    assert_eq!(weekdays["recurrence_rule"]["time_of_day"], "18:00");
    assert_eq!(
        by_name("daily_9am")["recurrence_rule"]["frequency"],
        "daily"
    );
    assert_eq!(
        by_name("first_of_month")["recurrence_rule"]["days_of_month"],
        json!([1])
    );
    assert_eq!(by_name("every_2_weeks")["recurrence_rule"]["interval"], 2);
    for x in patterns {
        assert!(x["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(
            x["rrule"].as_str().is_some_and(|r| r.contains("FREQ=")),
            "{x}"
        );
        // Every preset is accepted as a schedule's rule.
        let (code, s) = api
            .post(
                "/v1/schedules",
                json!({ "name": x["name"], "job_type": "export", "job_config": export_config(),
                        "schedule_type": "recurring", "recurrence_rule": x["recurrence_rule"] }),
            )
            .await;
        assert_eq!(code, 201, "{x}: {s}");
    }
    let (code, tz) = api.get("/v1/schedules/timezones").await;
    assert_eq!(code, 200);
    let zones = tz["timezones"].as_array().unwrap();
    assert!(zones.len() > 400);
    let find = |n: &str| zones.iter().find(|z| z["name"] == n).unwrap().clone();
    assert_eq!(find("UTC")["utc_offset"], "+00:00");
    assert_eq!(find("Asia/Kolkata")["utc_offset_seconds"], 19800);
    assert_eq!(find("Asia/Kolkata")["utc_offset"], "+05:30");
    let ny = find("America/New_York")["utc_offset_seconds"]
        .as_i64()
        .unwrap();
    assert!(ny == -18000 || ny == -14400, "{ny}");
}
