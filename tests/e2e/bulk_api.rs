//! Bulk operations over HTTP: create with a naming pattern and a deep-merged shared config;
//! all-or-nothing create and update (one bad item writes nothing); the 1,000-item limit;
//! pause/resume/cancel by ids and by filter with exact resulting statuses; another user's ids
//! reported failed and left untouched.

use crate::common;

use common::{Api, export_config, start_with_user};
use serde_json::{Value, json};

fn weekly(name: &str, priority: &str) -> Value {
    json!({
        "name": name, "job_type": "export", "job_config": export_config(), "priority": priority,
        "schedule_type": "recurring", "timezone": "Europe/Berlin",
        "recurrence_rule": { "frequency": "weekly", "days_of_week": [1], "time_of_day": "18:00", "start_date": "2027-03-15" }
    })
}

fn names(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

fn statuses(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap().to_string())
        .collect()
}

fn counts(r: &Value) -> (u64, u64, u64) {
    (
        r["total_count"].as_u64().unwrap(),
        r["success_count"].as_u64().unwrap(),
        r["failure_count"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn bulk_create_names_merges_and_is_atomic() {
    let (_d, _server, api) = start_with_user();
    let body = json!({
        "shared_config": export_config(),
        "naming_pattern": "Episode {n} - {name} ({date}) [{job_type}]",
        "schedules": [
            { "name": "Pilot", "job_type": "export", "job_config": { "quality": "low" }, "schedule_type": "recurring",
              "timezone": "Europe/Berlin",
              "recurrence_rule": { "frequency": "weekly", "days_of_week": [1], "time_of_day": "18:00", "start_date": "2027-03-15" } },
            { "name": "Second", "job_type": "export", "job_config": { "destination": { "path": "s3://other-bucket/x/" } },
              "schedule_type": "once", "timezone": "Europe/Berlin", "scheduled_at": "2027-03-22T18:00" },
            { "name": "Third", "job_type": "export", "schedule_type": "once", "timezone": "America/New_York",
              "scheduled_at": "2027-03-30T01:30:00Z" }
        ]
    });
    let r = api.post("/v1/schedules/bulk", &body).await.expect(201);
    assert_eq!(counts(&r), (3, 3, 0));
    assert_eq!(statuses(&r), ["created", "created", "created"]);
    let indexes: Vec<u64> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [0, 1, 2]);
    let want = [
        "Episode 1 - Pilot (2027-03-15) [export]",
        "Episode 2 - Second (2027-03-22) [export]",
        // 01:30Z on 30 March is 21:30 on 29 March in New York.
        "Episode 3 - Third (2027-03-29) [export]",
    ];
    let list = api.list_all("").await;
    assert_eq!(names(&list), want);
    let mut low = export_config();
    low["quality"] = json!("low");
    let mut elsewhere = export_config();
    elsewhere["destination"] = json!({ "kind": "s3", "path": "s3://other-bucket/x/" });
    assert_eq!(list[0]["job_config"], low);
    assert_eq!(list[1]["job_config"], elsewhere);
    assert_eq!(list[2]["job_config"], export_config());
    assert_eq!(
        r["results"][1]["schedule"]["schedule_id"],
        list[1]["schedule_id"]
    );

    // One good and two bad items: nothing is written, each bad one says why.
    let (_d2, _server2, fresh) = start_with_user();
    let mut bad_rule = weekly("bad rule", "normal");
    bad_rule["recurrence_rule"]["interval"] = json!(0);
    let mut bad_config = weekly("bad config", "normal");
    bad_config["job_config"]["format"] = json!("avi");
    let r = fresh
        .post(
            "/v1/schedules/bulk",
            &json!({ "schedules": [weekly("good", "normal"), bad_rule, bad_config] }),
        )
        .await
        .expect(422);
    assert_eq!(counts(&r), (3, 0, 2));
    assert_eq!(statuses(&r), ["not_written", "failed", "failed"]);
    let fields = |i: usize| -> Vec<String> {
        r["results"][i]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(fields(1), ["schedules[1].recurrence_rule.interval"]);
    assert_eq!(fields(2), ["schedules[2].job_config.format"]);
    assert!(r["results"][0].get("errors").is_none(), "{r}");
    assert_eq!(fresh.list_all("").await, Vec::<Value>::new());

    // Without a naming pattern a name is required.
    let mut nameless = weekly("x", "normal");
    nameless.as_object_mut().unwrap().remove("name");
    let r = fresh
        .post("/v1/schedules/bulk", &json!({ "schedules": [nameless] }))
        .await
        .expect(422);
    assert_eq!(r["results"][0]["errors"][0]["field"], "schedules[0].name");

    // The request as a whole.
    let many: Vec<Value> = (0..1001)
        .map(|i| weekly(&format!("s{i}"), "normal"))
        .collect();
    let r = fresh
        .post("/v1/schedules/bulk", &json!({ "schedules": many }))
        .await;
    assert_eq!(r.error_fields(), ["schedules"]);
    let r = fresh
        .post(
            "/v1/schedules/bulk",
            &json!({ "schedules": [], "shared_config": 3, "extra": 1 }),
        )
        .await;
    assert_eq!(r.error_fields(), ["extra", "schedules", "shared_config"]);
    assert_eq!(fresh.list_all("").await, Vec::<Value>::new());
    assert_eq!(
        api.with_token(None)
            .post("/v1/schedules/bulk", &body)
            .await
            .status,
        401
    );
}

async fn status_of(api: &Api, id: &str) -> String {
    api.schedule(id).await["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn bulk_transitions_and_update_by_ids_and_filter() {
    let (_d, server, api) = start_with_user();
    let other = api.with_token(Some(&server.token(&uuid::Uuid::new_v4().to_string())));
    let r = api
        .post(
            "/v1/schedules/bulk",
            &json!({ "schedules": [weekly("a", "high"), weekly("b", "high"), weekly("c", "low"), weekly("d", "low")] }),
        )
        .await
        .expect(201);
    let ids: Vec<String> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["schedule_id"].as_str().unwrap().to_string())
        .collect();
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    let x = Api::id(&other.create(&weekly("x", "low")).await);
    let all = |api: &Api| {
        let api = api.clone();
        let ids = ids.clone();
        async move {
            let mut out = Vec::new();
            for id in &ids {
                out.push(status_of(&api, id).await);
            }
            out
        }
    };

    // By ids: another user's id is reported failed and left alone.
    let r = api
        .post(
            "/v1/schedules/bulk/pause",
            &json!({ "schedule_ids": [a, b, x] }),
        )
        .await
        .expect(200);
    assert_eq!(counts(&r), (3, 2, 1));
    assert_eq!(statuses(&r), ["paused", "paused", "failed"]);
    assert_eq!(r["results"][2]["schedule_id"], x.as_str());
    assert_eq!(r["results"][0]["schedule"]["status"], "paused");
    assert_eq!(all(&api).await, ["paused", "paused", "active", "active"]);
    assert_eq!(status_of(&other, &x).await, "active");
    // A forbidden transition is reported, the others still apply.
    let r = api
        .post(
            "/v1/schedules/bulk/pause",
            &json!({ "schedule_ids": [a, c] }),
        )
        .await
        .expect(200);
    assert_eq!(statuses(&r), ["failed", "paused"]);
    assert_eq!(
        r["results"][0]["errors"][0]["message"],
        "cannot pause a schedule that is paused"
    );
    assert_eq!(all(&api).await, ["paused", "paused", "paused", "active"]);

    // By filter: status and priority; schedules in the wrong status are not matched.
    let r = api
        .post(
            "/v1/schedules/bulk/resume",
            &json!({ "filter": { "status": "paused", "priority": "high" } }),
        )
        .await
        .expect(200);
    assert_eq!(counts(&r), (2, 2, 0));
    assert_eq!(all(&api).await, ["active", "active", "paused", "active"]);
    let r = api
        .post(
            "/v1/schedules/bulk/cancel",
            &json!({ "filter": { "priority": "low" } }),
        )
        .await
        .expect(200);
    assert_eq!(counts(&r), (2, 2, 0));
    assert_eq!(
        all(&api).await,
        ["active", "active", "cancelled", "cancelled"]
    );
    let r = api
        .post("/v1/schedules/bulk/pause", &json!({ "filter": {} }))
        .await
        .expect(200);
    assert_eq!(counts(&r), (2, 2, 0));
    assert_eq!(
        all(&api).await,
        ["paused", "paused", "cancelled", "cancelled"]
    );
    assert_eq!(status_of(&other, &x).await, "active");
    let r = api
        .post(
            "/v1/schedules/bulk/resume",
            &json!({ "filter": { "job_type": "export" } }),
        )
        .await
        .expect(200);
    assert_eq!(counts(&r), (2, 2, 0));

    // Bulk update: all or nothing.
    let r = api
        .post(
            "/v1/schedules/bulk/update",
            &json!({ "schedule_ids": [a, b], "changes": { "priority": "urgent", "max_runs": 5 } }),
        )
        .await
        .expect(200);
    assert_eq!(statuses(&r), ["updated", "updated"]);
    for id in [a, b] {
        let s = api.schedule(id).await;
        assert_eq!(
            (s["priority"].as_str(), s["max_runs"].as_u64()),
            (Some("urgent"), Some(5))
        );
    }
    let r = api
        .post(
            "/v1/schedules/bulk/update",
            &json!({ "schedule_ids": [a, x], "changes": { "priority": "low" } }),
        )
        .await
        .expect(422);
    assert_eq!(statuses(&r), ["not_written", "failed"]);
    assert_eq!(api.schedule(a).await["priority"], "urgent");
    assert_eq!(other.schedule(&x).await["priority"], "low");
    let r = api
        .post(
            "/v1/schedules/bulk/update",
            &json!({ "schedule_ids": [a, c], "changes": { "priority": "low" } }),
        )
        .await
        .expect(422);
    assert_eq!(statuses(&r), ["not_written", "failed"]);
    let r = api
        .post(
            "/v1/schedules/bulk/update",
            &json!({ "schedule_ids": [a], "changes": { "max_runs": 0, "job_type": "x" } }),
        )
        .await
        .expect(422);
    let mut f: Vec<String> = r["results"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    f.sort();
    assert_eq!(f, ["changes.job_type", "changes.max_runs"]);

    // Malformed requests.
    let r = api
        .post(
            "/v1/schedules/bulk/pause",
            &json!({ "schedule_ids": [a], "filter": {} }),
        )
        .await;
    assert_eq!(r.error_fields(), [""]);
    let r = api.post("/v1/schedules/bulk/pause", &json!({})).await;
    assert_eq!(r.error_fields(), [""]);
    let r = api
        .post(
            "/v1/schedules/bulk/cancel",
            &json!({ "schedule_ids": ["nope", a, a] }),
        )
        .await;
    assert_eq!(r.error_fields(), ["schedule_ids[0]", "schedule_ids[2]"]);
    let r = api
        .post(
            "/v1/schedules/bulk/cancel",
            &json!({ "filter": { "status": "gone", "colour": "red" } }),
        )
        .await;
    assert_eq!(r.error_fields(), ["filter.colour", "filter.status"]);
    api.post(
        "/v1/schedules/bulk/explode",
        &json!({ "schedule_ids": [a] }),
    )
    .await
    .problem(404);
    assert_eq!(
        api.with_token(None)
            .post("/v1/schedules/bulk/pause", &json!({ "filter": {} }))
            .await
            .status,
        401
    );
    assert_eq!(
        api.with_token(None)
            .post("/v1/schedules/bulk/update", &json!({}))
            .await
            .status,
        401
    );

    // The other user's filter reaches only their own schedule.
    let r = other
        .post("/v1/schedules/bulk/cancel", &json!({ "filter": {} }))
        .await
        .expect(200);
    assert_eq!(counts(&r), (1, 1, 0));
    assert_eq!(status_of(&other, &x).await, "cancelled");
    assert_eq!(
        all(&api).await,
        ["active", "active", "cancelled", "cancelled"]
    );
}
