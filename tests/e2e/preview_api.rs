//! `POST /v1/schedules/preview`: the runs an unsaved rule or time would plan, in the shape of
//! `/next` and equal to what `/next` answers once the schedule is made, exact across DST
//! changes (Berlin, Lord Howe's half hour); every field error at once; nothing stored.

use crate::common::{Api, Server};
use serde_json::{Value, json};

const USER: &str = "0193a1b2-0000-7000-8000-0000000000e1";

fn pairs(v: &Value) -> Vec<(String, String)> {
    v["occurrences"]
        .as_array()
        .unwrap_or_else(|| panic!("no occurrences: {v}"))
        .iter()
        .map(|o| {
            (
                o["at"].as_str().unwrap().to_string(),
                o["at_local"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Preview `timing` (a rule or a time, with its zone), then make the schedule and read its
/// `/next`: both answers, which must be the same.
async fn preview_and_next(api: &Api, timing: Value, count: u32) -> Vec<(String, String)> {
    let mut body = timing.clone();
    body["count"] = json!(count);
    let preview = pairs(&api.post("/v1/schedules/preview", &body).await.expect(200));
    let mut create = timing;
    create["name"] = json!("previewed");
    create["job_type"] = json!("export");
    create["job_config"] =
        json!({"project_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "format": "mp4"});
    create["schedule_type"] = json!(if create.get("recurrence_rule").is_some() {
        "recurring"
    } else {
        "once"
    });
    let id = Api::id(&api.create(&create).await);
    let next = api
        .get(&format!("/v1/schedules/{id}/next?count={count}"))
        .await
        .expect(200);
    assert_eq!(preview, pairs(&next), "the preview is what /next plans");
    preview
}

#[tokio::test]
async fn a_preview_lists_the_runs_the_schedule_would_plan_across_dst() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let api = Api::new(&server, Some(server.token(USER)));

    // Europe/Berlin moves to CEST on 28 March 2027: 18:00 is 17:00Z before, 16:00Z after.
    let berlin = json!({"timezone": "Europe/Berlin", "recurrence_rule":
        {"frequency": "weekly", "days_of_week": [1, 3], "time_of_day": "18:00", "start_date": "2027-03-20"}});
    assert_eq!(
        preview_and_next(&api, berlin, 4).await,
        owned(&[
            ("2027-03-22T17:00:00Z", "2027-03-22T18:00:00+01:00"),
            ("2027-03-24T17:00:00Z", "2027-03-24T18:00:00+01:00"),
            ("2027-03-29T16:00:00Z", "2027-03-29T18:00:00+02:00"),
            ("2027-03-31T16:00:00Z", "2027-03-31T18:00:00+02:00"),
        ])
    );
    // Lord Howe moves its clocks half an hour, 02:00 -> 02:30, on 3 October 2027: 02:15 does
    // not exist that day and shifts forward by the gap.
    let lord_howe = json!({"timezone": "Australia/Lord_Howe", "recurrence_rule":
        {"frequency": "daily", "time_of_day": "02:15", "start_date": "2027-10-02"}});
    assert_eq!(
        preview_and_next(&api, lord_howe, 3).await,
        owned(&[
            ("2027-10-01T15:45:00Z", "2027-10-02T02:15:00+10:30"),
            ("2027-10-02T15:45:00Z", "2027-10-03T02:45:00+11:00"),
            ("2027-10-03T15:15:00Z", "2027-10-04T02:15:00+11:00"),
        ])
    );
    // A once time is one run, shown in its zone.
    let once = json!({"timezone": "America/New_York", "scheduled_at": "2031-01-15T13:00:00Z"});
    assert_eq!(
        preview_and_next(&api, once, 10).await,
        owned(&[("2031-01-15T13:00:00Z", "2031-01-15T08:00:00-05:00")])
    );
    // The default count is ten.
    let daily = json!({"recurrence_rule": {"frequency": "daily", "time_of_day": "09:00"}});
    let ten = api.post("/v1/schedules/preview", &daily).await.expect(200);
    assert_eq!(pairs(&ten).len(), 10);
}

#[tokio::test]
async fn a_bad_preview_lists_every_field_at_fault_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let api = Api::new(&server, Some(server.token(USER)));
    let bad = api
        .post(
            "/v1/schedules/preview",
            &json!({"timezone": "Mars/Olympus", "count": 0, "colour": "red",
                    "recurrence_rule": {"frequency": "fortnightly"}}),
        )
        .await;
    assert_eq!(
        bad.error_fields(),
        [
            "colour",
            "count",
            "recurrence_rule.frequency",
            "recurrence_rule.time_of_day",
            "timezone"
        ]
    );
    let both = api
        .post(
            "/v1/schedules/preview",
            &json!({"scheduled_at": "2031-01-15T13:00:00Z",
                    "recurrence_rule": {"frequency": "daily", "time_of_day": "09:00"}}),
        )
        .await;
    assert_eq!(both.error_fields(), ["scheduled_at"]);
    let neither = api
        .post("/v1/schedules/preview", &json!({"timezone": "UTC"}))
        .await;
    assert_eq!(neither.error_fields(), ["recurrence_rule"]);
    let past = api
        .post(
            "/v1/schedules/preview",
            &json!({"scheduled_at": "2001-01-15T13:00:00Z"}),
        )
        .await;
    assert_eq!(past.error_fields(), ["scheduled_at"]);
    let never = api
        .post(
            "/v1/schedules/preview",
            &json!({"recurrence_rule": {"frequency": "daily", "time_of_day": "09:00",
                    "start_date": "2001-01-01", "end_date": "2001-02-01"}}),
        )
        .await;
    assert_eq!(never.error_fields(), ["recurrence_rule"]);
    api.post("/v1/schedules/preview", &json!([1, 2]))
        .await
        .problem(422);
    // Previews store nothing, and need a token like every route.
    let list = api.get("/v1/schedules").await.expect(200);
    assert_eq!(list["items"], json!([]), "{list}");
    Api::new(&server, None)
        .post(
            "/v1/schedules/preview",
            &json!({"scheduled_at": "2031-01-15T13:00:00Z"}),
        )
        .await
        .problem(401);
}
