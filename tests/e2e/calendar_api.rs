//! `GET /v1/schedules/calendar` over HTTP: exact per-day counts and instants across DST changes
//! in Europe/Berlin, week grouping, a month view of a minutely schedule that is counted and not
//! listed, past executions with their status, the status and job type filters, option
//! validation, user isolation, and a kept calendar following every write.

use crate::common;

use common::{Api, export_config, start_with_user};
use serde_json::{Value, json};

fn hourly_berlin() -> Value {
    json!({
        "name": "Berlin hourly", "job_type": "export", "job_config": export_config(),
        "schedule_type": "recurring", "timezone": "Europe/Berlin",
        "recurrence_rule": { "frequency": "hourly", "time_of_day": "00:00", "start_date": "2027-03-01" }
    })
}

fn counts(cal: &Value) -> Vec<u64> {
    cal["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["total_count"].as_u64().unwrap())
        .collect()
}

fn times(day: &Value, n: usize) -> Vec<(String, String)> {
    day["executions"].as_array().unwrap()[..n]
        .iter()
        .map(|e| {
            (
                e["at"].as_str().unwrap().to_string(),
                e["at_local"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn day_and_week_views_across_dst_in_berlin() {
    let (_d, _server, api) = start_with_user();
    let s = api.create(&hourly_berlin()).await;
    let id = Api::id(&s);
    let daily = api
        .create(&json!({
            "name": "Berlin 18:00", "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "Europe/Berlin", "priority": "high",
            "recurrence_rule": { "frequency": "daily", "time_of_day": "18:00", "start_date": "2027-03-01" }
        }))
        .await;

    // Spring forward on 28 March 2027: that local day has 23 hours.
    let cal = api
        .get("/v1/schedules/calendar?start_date=2027-03-27&end_date=2027-03-29&timezone=Europe/Berlin")
        .await
        .expect(200);
    assert_eq!(cal["group_by"], "day");
    assert_eq!(cal["timezone"], "Europe/Berlin");
    assert_eq!(counts(&cal), [25, 24, 25]);
    assert_eq!(cal["total_executions"], 74);
    let spring = &cal["days"][1];
    assert_eq!(spring["date"], "2027-03-28");
    assert_eq!(
        times(spring, 4),
        pairs(&[
            ("2027-03-27T23:00:00Z", "2027-03-28T00:00:00+01:00"),
            ("2027-03-28T00:00:00Z", "2027-03-28T01:00:00+01:00"),
            ("2027-03-28T01:00:00Z", "2027-03-28T03:00:00+02:00"),
            ("2027-03-28T02:00:00Z", "2027-03-28T04:00:00+02:00"),
        ])
    );
    // 18:00 local is 16:00Z after the change; the high-priority run sorts first at that instant.
    let at_18: Vec<&Value> = spring["executions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["at"] == "2027-03-28T16:00:00Z")
        .collect();
    assert_eq!(at_18.len(), 2);
    assert_eq!(at_18[0]["name"], "Berlin 18:00");
    assert_eq!(at_18[0]["priority"], "high");
    assert_eq!(at_18[0]["status"], "planned");
    assert_eq!(at_18[0]["schedule_status"], "active");
    assert_eq!(at_18[0]["schedule_id"], Api::id(&daily).as_str());
    let day_schedules: Vec<(String, u64)> = spring["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["schedule_id"].as_str().unwrap().to_string(),
                s["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(day_schedules, [(id.clone(), 23), (Api::id(&daily), 1)]);
    assert_eq!(spring["truncated"], false);

    // Fall back on 31 October 2027: 02:00 happens twice, the day has 25 hours.
    let cal = api
        .get("/v1/schedules/calendar?start_date=2027-10-30&end_date=2027-11-01&timezone=Europe/Berlin")
        .await
        .expect(200);
    assert_eq!(counts(&cal), [25, 26, 25]);
    let fall = &cal["days"][1]["executions"].as_array().unwrap();
    let hourly: Vec<(String, String)> = fall
        .iter()
        .filter(|e| e["name"] == "Berlin hourly")
        .take(5)
        .map(|e| {
            (
                e["at"].as_str().unwrap().to_string(),
                e["at_local"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        hourly,
        pairs(&[
            ("2027-10-30T22:00:00Z", "2027-10-31T00:00:00+02:00"),
            ("2027-10-30T23:00:00Z", "2027-10-31T01:00:00+02:00"),
            ("2027-10-31T00:00:00Z", "2027-10-31T02:00:00+02:00"),
            ("2027-10-31T01:00:00Z", "2027-10-31T02:00:00+01:00"),
            ("2027-10-31T02:00:00Z", "2027-10-31T03:00:00+01:00"),
        ])
    );

    // The same runs on UTC days: every day has 24 hourly runs.
    let cal = api
        .get("/v1/schedules/calendar?start_date=2027-03-27&end_date=2027-03-29")
        .await
        .expect(200);
    assert_eq!(cal["timezone"], "UTC");
    assert_eq!(counts(&cal), [25, 25, 25]);

    // Week view: weeks start on Monday, 29 March starts the second week.
    let cal = api
        .get("/v1/schedules/calendar?start_date=2027-03-27&end_date=2027-03-29&timezone=Europe/Berlin&group_by=week")
        .await
        .expect(200);
    assert!(cal.get("days").is_none(), "{cal}");
    let weeks: Vec<(String, Vec<String>, u64)> = cal["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let days = w["days"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["date"].as_str().unwrap().to_string())
                .collect();
            (
                w["week_start"].as_str().unwrap().to_string(),
                days,
                w["total_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        weeks,
        [
            (
                "2027-03-22".to_string(),
                vec!["2027-03-27".to_string(), "2027-03-28".to_string()],
                49
            ),
            ("2027-03-29".to_string(), vec!["2027-03-29".to_string()], 25),
        ]
    );
    assert_eq!(
        cal["weeks"][1]["days"][0]["executions"]
            .as_array()
            .unwrap()
            .len(),
        25
    );

    // Paused: nothing planned; resumed: planned again.
    api.post(&format!("/v1/schedules/{id}/pause"), &json!({}))
        .await
        .expect(200);
    let cal = api
        .get("/v1/schedules/calendar?start_date=2027-03-28&end_date=2027-03-28&timezone=Europe/Berlin")
        .await
        .expect(200);
    assert_eq!(counts(&cal), [1]);

    // Another user sees nothing of it.
    let other = api.with_token(Some(&_server.token(&uuid::Uuid::new_v4().to_string())));
    let cal = other
        .get("/v1/schedules/calendar?start_date=2027-03-27&end_date=2027-03-29")
        .await
        .expect(200);
    assert_eq!(counts(&cal), [0, 0, 0]);
    assert_eq!(cal["days"][0]["executions"], json!([]));
    let r = api
        .with_token(None)
        .get("/v1/schedules/calendar?start_date=2027-03-27&end_date=2027-03-29")
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn month_view_of_a_minutely_schedule_is_counted_not_listed() {
    let (_d, _server, api) = start_with_user();
    api.create(&json!({
        "name": "every minute", "job_type": "export", "job_config": export_config(),
        "schedule_type": "recurring",
        "recurrence_rule": { "frequency": "minutely", "time_of_day": "00:00", "start_date": "2027-02-01" }
    }))
    .await;
    let started = std::time::Instant::now();
    let r = api
        .get("/v1/schedules/calendar?start_date=2027-02-01&end_date=2027-02-28&group_by=month")
        .await;
    let elapsed = started.elapsed();
    let cal = r.expect(200);
    assert_eq!(counts(&cal), vec![1440; 28]);
    assert_eq!(cal["total_executions"], 1440 * 28);
    assert_eq!(
        cal["days"][0],
        json!({ "date": "2027-02-01", "total_count": 1440, "schedule_count": 1 })
    );
    assert!(r.text.len() < 4096, "{} bytes", r.text.len());
    assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");

    // Day view lists at most 1,000 a day and says so.
    let cal = api
        .get("/v1/schedules/calendar?start_date=2027-02-01&end_date=2027-02-02")
        .await
        .expect(200);
    assert_eq!(counts(&cal), [1440, 1440]);
    let items = cal["days"][0]["executions"].as_array().unwrap();
    assert_eq!(items.len(), 1000);
    assert_eq!(cal["days"][0]["truncated"], true);
    assert_eq!(items[0]["at"], "2027-02-01T00:00:00Z");
    assert_eq!(items[999]["at"], "2027-02-01T16:39:00Z");
}

async fn settle(api: &Api, id: &str) -> Vec<Value> {
    api.settled_executions(id).await
}

#[tokio::test]
async fn past_runs_show_their_status_and_filters_apply() {
    let (_d, _server, api) = start_with_user();
    let later = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let once = api.create(&common::once_body("later", &later)).await;
    let once_id = Api::id(&once);
    api.post(&format!("/v1/schedules/{once_id}/run"), &json!({}))
        .await
        .expect(201);
    let runs = settle(&api, &once_id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["status"], "completed");
    let ran_at = runs[0]["scheduled_for"].as_str().unwrap().to_string();
    let today = &ran_at[..10];
    let tomorrow = (chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap()
        + chrono::Duration::days(1))
    .to_string();
    let range = format!("start_date={today}&end_date={tomorrow}");

    // A schedule completed by a counted run-now, and a cancelled one with a run.
    let done = api
        .create(&json!({
            "name": "done", "job_type": "export", "job_config": export_config(), "schedule_type": "recurring",
            "max_runs": 1, "recurrence_rule": { "frequency": "daily", "time_of_day": "09:00" }
        }))
        .await;
    let done_id = Api::id(&done);
    api.post(
        &format!("/v1/schedules/{done_id}/run?count_toward_max_runs=true"),
        &json!({}),
    )
    .await
    .expect(201);
    settle(&api, &done_id).await;
    assert_eq!(api.schedule(&done_id).await["status"], "completed");
    let gone = api.create(&common::once_body("gone", &later)).await;
    let gone_id = Api::id(&gone);
    api.post(&format!("/v1/schedules/{gone_id}/run"), &json!({}))
        .await
        .expect(201);
    settle(&api, &gone_id).await;
    api.post(&format!("/v1/schedules/{gone_id}/cancel"), &json!({}))
        .await
        .expect(200);

    let all_items = |cal: &Value| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = cal["days"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["executions"].as_array().unwrap().iter())
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_string(),
                    e["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let cal = api
        .get(&format!("/v1/schedules/calendar?{range}"))
        .await
        .expect(200);
    assert_eq!(
        all_items(&cal),
        [
            ("later".into(), "completed".into()),
            ("later".into(), "planned".into())
        ]
    );
    assert_eq!(cal["total_executions"], 2);
    let past = cal["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["executions"].as_array().unwrap().iter())
        .find(|e| e["status"] == "completed")
        .unwrap()
        .clone();
    assert_eq!(past["at"], ran_at.as_str());
    assert_eq!(past["execution_id"], runs[0]["execution_id"]);

    let cal = api
        .get(&format!(
            "/v1/schedules/calendar?{range}&include_completed=true"
        ))
        .await
        .expect(200);
    let mut want: Vec<(String, String)> = vec![
        ("done".into(), "completed".into()),
        ("later".into(), "completed".into()),
        ("later".into(), "planned".into()),
    ];
    assert_eq!(all_items(&cal), want);
    let cal = api
        .get(&format!(
            "/v1/schedules/calendar?{range}&include_completed=true&include_cancelled=true"
        ))
        .await
        .expect(200);
    want.insert(1, ("gone".into(), "completed".into()));
    assert_eq!(all_items(&cal), want);
    let cal = api
        .get(&format!(
            "/v1/schedules/calendar?{range}&include_cancelled=true&job_type=video_generation"
        ))
        .await
        .expect(200);
    assert_eq!(cal["total_executions"], 0);
    let cal = api
        .get(&format!(
            "/v1/schedules/calendar?{range}&include_cancelled=true&job_type=export"
        ))
        .await
        .expect(200);
    assert_eq!(cal["total_executions"], 3);
}

/// The server keeps rendered calendars while a user's data is unchanged: every kind of write
/// (create, update, pause, resume, delete, and the executor's own) must show at once, and
/// another user's calendar stays theirs.
#[tokio::test]
async fn a_kept_calendar_follows_every_write() {
    let (_d, server, api) = start_with_user();
    let other = Api::for_new_user(&server);
    let may = "/v1/schedules/calendar?start_date=2027-05-01&end_date=2027-05-31&group_by=month&timezone=Europe/Berlin";
    let total = |cal: &Value| cal["total_executions"].as_u64().unwrap();
    let daily = |name: &str| {
        json!({
            "name": name, "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "Europe/Berlin",
            "recurrence_rule": { "frequency": "daily", "time_of_day": "09:00", "start_date": "2027-05-01" }
        })
    };
    let a = Api::id(&api.create(&daily("a")).await);
    let first = api.get(may).await.expect(200);
    assert_eq!(total(&first), 31);
    assert_eq!(
        api.get(may).await.expect(200),
        first,
        "asked again, unchanged"
    );
    assert_eq!(total(&other.get(may).await.expect(200)), 0, "another user");
    let metrics = api.get("/metrics").await.text;
    for line in [
        "sgsched_calendar_responses_total{served=\"kept\"} 1",
        "sgsched_calendar_responses_total{served=\"computed\"} 2",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }

    api.post(&format!("/v1/schedules/{a}/pause"), &json!({}))
        .await
        .expect(200);
    assert_eq!(total(&api.get(may).await.expect(200)), 0, "paused");
    api.post(&format!("/v1/schedules/{a}/resume"), &json!({}))
        .await
        .expect(200);
    assert_eq!(total(&api.get(may).await.expect(200)), 31, "resumed");

    // Mondays only: 3, 10, 17, 24 and 31 May 2027.
    let mut rule = daily("a")["recurrence_rule"].clone();
    rule["frequency"] = json!("weekly");
    rule["days_of_week"] = json!([1]);
    api.put(
        &format!("/v1/schedules/{a}"),
        &json!({ "recurrence_rule": rule }),
    )
    .await
    .expect(200);
    let cal = api.get(may).await.expect(200);
    assert_eq!(total(&cal), 5);
    let mondays: Vec<&str> = cal["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["total_count"] == 1)
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        mondays,
        [
            "2027-05-03",
            "2027-05-10",
            "2027-05-17",
            "2027-05-24",
            "2027-05-31"
        ]
    );

    let c = Api::id(&api.create(&daily("c")).await);
    assert_eq!(total(&api.get(may).await.expect(200)), 36, "created");
    assert_eq!(
        total(&other.get(may).await.expect(200)),
        0,
        "still another user's"
    );
    api.delete(&format!("/v1/schedules/{c}")).await.expect(204);
    assert_eq!(total(&api.get(may).await.expect(200)), 5, "deleted");

    // The executor's writes: a run now lands in today's history.
    let today = chrono::Utc::now().date_naive();
    let around = format!(
        "/v1/schedules/calendar?start_date={}&end_date={}",
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(1)
    );
    assert_eq!(total(&api.get(&around).await.expect(200)), 0);
    api.post(&format!("/v1/schedules/{a}/run"), &json!({}))
        .await
        .expect(201);
    let runs = settle(&api, &a).await;
    assert_eq!(runs.len(), 1);
    let cal = api.get(&around).await.expect(200);
    assert_eq!(total(&cal), 1, "{cal}");
    let listed: Vec<&Value> = cal["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["executions"].as_array().unwrap())
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "completed");
    assert_eq!(listed[0]["execution_id"], runs[0]["execution_id"]);
}

#[tokio::test]
async fn options_are_validated() {
    let (_d, _server, api) = start_with_user();
    let fields = |r: common::Resp| r.error_fields();
    assert_eq!(
        fields(api.get("/v1/schedules/calendar").await),
        ["end_date", "start_date"]
    );
    assert_eq!(
        fields(
            api.get(
                "/v1/schedules/calendar?start_date=2027-13-01&end_date=2027-01-01&timezone=Mars/Base&group_by=year\
                 &include_completed=maybe&include_cancelled=2&bogus=1"
            )
            .await
        ),
        ["bogus", "group_by", "include_cancelled", "include_completed", "start_date", "timezone"]
    );
    assert_eq!(
        fields(
            api.get("/v1/schedules/calendar?start_date=2027-02-02&end_date=2027-02-01")
                .await
        ),
        ["end_date"]
    );
    let p = api
        .get("/v1/schedules/calendar?start_date=2027-01-01&end_date=2028-01-02")
        .await
        .problem(400);
    assert!(p["detail"].as_str().unwrap().contains("366"), "{p}");
    // 366 days (a leap year) is allowed.
    let cal = api
        .get("/v1/schedules/calendar?start_date=2028-01-01&end_date=2028-12-31&group_by=month")
        .await
        .expect(200);
    assert_eq!(cal["days"].as_array().unwrap().len(), 366);
}
