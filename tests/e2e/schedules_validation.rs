//! Bad requests to /v1/schedules: malformed JSON is a 400, every field error of a body is listed
//! at once with its path (422), oversized bodies are 413, bad query parameters 422 and ids that
//! are not UUIDs 404. A failed request creates nothing, and nothing is ever a 5xx (every answer
//! is checked by `Api`).

use crate::common;

use common::{Api, export_config, once_body, start_with_user, weekly_body};
use serde_json::{Value, json};

async fn assert_nothing_created(api: &Api) {
    assert_eq!(api.list_all("").await, Vec::<Value>::new());
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let (_dir, _server, api) = start_with_user();
    let post = reqwest::Method::POST;
    for body in ["{ nope", "", "{\"name\": \"x\",}", "[1, 2"] {
        let r = api
            .send(
                post.clone(),
                "/v1/schedules",
                Some(body.as_bytes().to_vec()),
            )
            .await;
        let p = r.problem(400);
        assert!(p["detail"].as_str().unwrap().contains("JSON"), "{p}");
    }
    let id = uuid::Uuid::new_v4();
    for (method, path) in [
        (reqwest::Method::PUT, format!("/v1/schedules/{id}")),
        (post.clone(), format!("/v1/schedules/{id}/clone")),
        (post.clone(), format!("/v1/schedules/{id}/run")),
    ] {
        api.send(method, &path, Some(b"{ nope".to_vec()))
            .await
            .problem(400);
    }
    // A body that is JSON but not an object.
    // A body that is JSON but not an object: a 422 whose errors include the body itself ("").
    let r = api
        .post(
            "/v1/schedules",
            &json!([once_body("x", "2030-01-15T12:00:00Z")]),
        )
        .await;
    assert!(r.error_fields().contains(&String::new()), "{}", r.text);
    assert_nothing_created(&api).await;
}

#[tokio::test]
async fn every_error_of_a_body_is_listed_at_once() {
    let (_dir, _server, api) = start_with_user();
    let r = api
        .post(
            "/v1/schedules",
            &json!({
                "name": 5,
                "job_type": "nope",
                "job_config": export_config(),
                "schedule_type": "recurring",
                "timezone": "Europe/Berln",
                "priority": "mega",
                "bogus": 1,
                "recurrence_rule": {"frequency": "weekly", "interval": 0, "days_of_week": [0, 8], "time_of_day": "09:00"},
            }),
        )
        .await;
    assert_eq!(
        r.error_fields(),
        [
            "bogus",
            "job_type",
            "name",
            "priority",
            "recurrence_rule.days_of_week[0]",
            "recurrence_rule.days_of_week[1]",
            "recurrence_rule.interval",
            "timezone",
        ]
    );
    assert!(
        r.error_message("timezone").contains("Europe/Berlin"),
        "{}",
        r.text
    );
    assert!(
        r.error_message("job_type").contains("export"),
        "names the known types: {}",
        r.text
    );
    assert!(r.error_message("bogus").contains("unknown"), "{}", r.text);

    // The job type's plugin judges the config; its errors sit under job_config.
    let mut body = once_body("bad config", "2030-01-15T12:00:00Z");
    body["job_config"] = json!({"format": "avi", "resolution": "9000p", "bogus": 1});
    body.as_object_mut().unwrap().remove("scheduled_at");
    body["max_runs"] = json!(0);
    let r = api.post("/v1/schedules", &body).await;
    assert_eq!(
        r.error_fields(),
        [
            "job_config.bogus",
            "job_config.format",
            "job_config.project_id",
            "job_config.resolution",
            "max_runs",
            "scheduled_at"
        ]
    );

    let rule = json!({
        "frequency": "weekly", "interval": 0, "days_of_week": [0, 8], "time_of_day": "25:00", "count": 0,
        "start_date": "2030-05-01", "end_date": "2030-04-01", "bogus": true,
    });
    let mut body = weekly_body("bad rule", "Europe/Berlin", &[1], "09:00", "2030-03-25");
    body["recurrence_rule"] = rule;
    assert_eq!(
        api.post("/v1/schedules", &body).await.error_fields(),
        [
            "recurrence_rule.bogus",
            "recurrence_rule.count",
            "recurrence_rule.days_of_week[0]",
            "recurrence_rule.days_of_week[1]",
            "recurrence_rule.end_date",
            "recurrence_rule.interval",
            "recurrence_rule.time_of_day",
        ]
    );
    let more = json!({"frequency": "fortnightly", "time_of_day": "09:00", "months": [13], "days_of_month": [0, 32]});
    body["recurrence_rule"] = more;
    assert_eq!(
        api.post("/v1/schedules", &body).await.error_fields(),
        [
            "recurrence_rule.days_of_month[0]",
            "recurrence_rule.days_of_month[1]",
            "recurrence_rule.frequency",
            "recurrence_rule.months[0]"
        ]
    );
    body["recurrence_rule"] = json!("FREQ=SOMETIMES");
    assert_eq!(
        api.post("/v1/schedules", &body).await.error_fields(),
        ["recurrence_rule"]
    );
    assert_nothing_created(&api).await;
}

#[tokio::test]
async fn missing_fields_wrong_types_and_wrong_combinations() {
    let (_dir, _server, api) = start_with_user();
    let fields = |b: Value| {
        let api = api.clone();
        async move { api.post("/v1/schedules", &b).await.error_fields() }
    };
    assert_eq!(
        fields(json!({})).await,
        ["job_config", "job_type", "name", "schedule_type"]
    );
    assert_eq!(
        fields(json!({
            "name": 1, "job_type": 2, "job_config": export_config(), "schedule_type": "sometimes",
            "scheduled_at": 5, "priority": 3, "max_runs": "x", "timezone": 7, "description": [],
            "missed_policy": "later", "overlap_policy": true,
        }))
        .await,
        [
            "description",
            "job_type",
            "max_runs",
            "missed_policy",
            "name",
            "overlap_policy",
            "priority",
            "schedule_type",
            "scheduled_at",
            "timezone",
        ]
    );

    let once = once_body("once", "2030-01-15T12:00:00Z");
    let mut b = once.clone();
    b.as_object_mut().unwrap().remove("scheduled_at");
    assert_eq!(fields(b).await, ["scheduled_at"]);
    let mut b = once.clone();
    b["scheduled_at"] = json!("2020-01-01T00:00:00Z");
    assert!(
        api.post("/v1/schedules", &b)
            .await
            .error_message("scheduled_at")
            .contains("past")
    );
    let mut b = once.clone();
    b["scheduled_at"] = json!("tomorrow");
    assert_eq!(fields(b).await, ["scheduled_at"]);
    let mut b = once.clone();
    b["recurrence_rule"] = json!({"frequency": "daily", "time_of_day": "09:00"});
    assert_eq!(fields(b).await, ["recurrence_rule"]);
    let mut b = once.clone();
    b["job_type"] = json!("podcast_generation");
    assert_eq!(fields(b).await, ["job_type"]);
    let mut b = once.clone();
    b["name"] = json!("   ");
    assert_eq!(fields(b).await, ["name"]);

    let weekly = weekly_body("weekly", "Europe/Berlin", &[1], "09:00", "2030-03-25");
    let mut b = weekly.clone();
    b.as_object_mut().unwrap().remove("recurrence_rule");
    assert_eq!(fields(b).await, ["recurrence_rule"]);
    let mut b = weekly.clone();
    b["scheduled_at"] = json!("2030-01-15T12:00:00Z");
    assert_eq!(fields(b).await, ["scheduled_at"]);
    let mut b = weekly.clone();
    b["recurrence_rule"]["end_date"] = json!("2020-01-01");
    b["recurrence_rule"]["start_date"] = json!("2019-01-01");
    assert_eq!(
        fields(b).await,
        ["recurrence_rule"],
        "a rule with no occurrence left"
    );
    assert_nothing_created(&api).await;
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413() {
    let (_dir, _server, api) = start_with_user();
    let mut body = once_body("big", "2030-01-15T12:00:00Z");
    body["description"] = json!("x".repeat(1 << 20));
    let r = api.post("/v1/schedules", &body).await;
    assert_eq!(r.status, 413, "{}", r.text);
    let id = Api::id(
        &api.create(&once_body("small", "2030-01-15T12:00:00Z"))
            .await,
    );
    let before = api.get(&format!("/v1/schedules/{id}")).await.text;
    let r = api.put(&format!("/v1/schedules/{id}"), &body).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(api.get(&format!("/v1/schedules/{id}")).await.text, before);
    assert_eq!(api.list_all("").await.len(), 1);
}

#[tokio::test]
async fn bad_query_parameters_are_422() {
    let (_dir, _server, api) = start_with_user();
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("status=bogus", "status"),
        ("priority=asap", "priority"),
        ("cursor=garbage", "cursor"),
        ("foo=1", "foo"),
    ] {
        assert_eq!(
            api.get(&format!("/v1/schedules?{query}"))
                .await
                .error_fields(),
            [field],
            "{query}"
        );
    }
    assert_eq!(
        api.get("/v1/schedules?limit=0&status=bogus&foo=1")
            .await
            .error_fields(),
        ["foo", "limit", "status"]
    );
    let id = Api::id(&api.create(&once_body("q", "2030-01-15T12:00:00Z")).await);
    let before = api.get(&format!("/v1/schedules/{id}")).await.text;
    for (path, field) in [
        (
            format!("/v1/schedules/{id}/executions?status=bogus"),
            "status",
        ),
        (format!("/v1/schedules/{id}/executions?limit=0"), "limit"),
        (format!("/v1/schedules/{id}/executions?cursor=x"), "cursor"),
    ] {
        assert_eq!(api.get(&path).await.error_fields(), [field], "{path}");
    }
    for (path, field) in [
        (
            format!("/v1/schedules/{id}/run?count_toward_max_runs=maybe"),
            "count_toward_max_runs",
        ),
        (format!("/v1/schedules/{id}/run?now=1"), "now"),
    ] {
        assert_eq!(
            api.post_empty(&path).await.error_fields(),
            [field],
            "{path}"
        );
    }
    assert_eq!(
        api.post(&format!("/v1/schedules/{id}/run"), &json!({"count": true}))
            .await
            .error_fields(),
        ["count"]
    );
    api.post_empty(&format!("/v1/schedules/{id}/pause"))
        .await
        .expect(200);
    let r = api
        .post_empty(&format!("/v1/schedules/{id}/resume?run_immediately=maybe"))
        .await;
    assert_eq!(r.error_fields(), ["run_immediately"]);
    assert_eq!(
        api.get(&format!("/v1/schedules/{id}")).await.json()["status"],
        "paused"
    );
    assert!(
        api.executions(&id).await.is_empty(),
        "no run was made by a rejected request"
    );
    api.post_empty(&format!("/v1/schedules/{id}/resume"))
        .await
        .expect(200);
    let after = api.get(&format!("/v1/schedules/{id}")).await.json();
    let before: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(
        (after["status"].clone(), after["run_count"].clone()),
        (before["status"].clone(), before["run_count"].clone())
    );
}

#[tokio::test]
async fn ids_that_are_not_uuids_or_not_there_are_404() {
    let (_dir, _server, api) = start_with_user();
    let missing = uuid::Uuid::new_v4().to_string();
    for id in ["not-a-uuid", "123", missing.as_str()] {
        api.get(&format!("/v1/schedules/{id}")).await.problem(404);
        api.put(&format!("/v1/schedules/{id}"), &json!({"name": "x"}))
            .await
            .problem(404);
        api.delete(&format!("/v1/schedules/{id}"))
            .await
            .problem(404);
        for op in ["pause", "resume", "cancel", "clone", "run"] {
            api.post_empty(&format!("/v1/schedules/{id}/{op}"))
                .await
                .problem(404);
        }
        api.get(&format!("/v1/schedules/{id}/executions"))
            .await
            .problem(404);
    }
    api.get("/v1/nothing-here").await.problem(404);
    assert_eq!(
        api.send(reqwest::Method::PATCH, "/v1/schedules", None)
            .await
            .status,
        405
    );
    assert_nothing_created(&api).await;
}
