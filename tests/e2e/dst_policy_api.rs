//! A schedule's `dst_policy` through the real binary: `gap: skip` drops the run of a local time
//! that does not exist, `overlap: both`/`last` run at both/the second instant of a repeated
//! one, in `/next`, the schedule, the calendar and after a restart; bad values are 422 naming
//! the field.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::Server;
use crate::common::api::Api;
use crate::common::export_config;

const USER: &str = "0193a1b2-0000-7000-8000-00000000fe21";

fn nightly(time: &str, start: &str, policy: Value) -> Value {
    json!({
        "name": format!("New York {time}"),
        "job_type": "export",
        "job_config": export_config(),
        "schedule_type": "recurring",
        "timezone": "America/New_York",
        "recurrence_rule": {"frequency": "daily", "time_of_day": time, "start_date": start},
        "dst_policy": policy,
    })
}

async fn next(api: &Api, id: &str, n: usize) -> Vec<String> {
    let (status, v) = api.get(&format!("/v1/schedules/{id}/next?count={n}")).await;
    assert_eq!(status, 200, "{v}");
    v["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["at"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_policy_decides_the_runs_of_a_dst_change_and_is_kept() {
    let (dir, api) = Api::start(USER, &[]);
    // 2027-03-14: 02:00 EST jumps to 03:00 EDT. 2027-11-07: 01:00-02:00 happens twice.
    let cases = [
        (
            nightly("02:30", "2027-03-12", json!({"gap": "skip"})),
            json!({"gap": "skip", "overlap": "first"}),
            vec![
                "2027-03-12T07:30:00Z",
                "2027-03-13T07:30:00Z",
                "2027-03-15T06:30:00Z",
                "2027-03-16T06:30:00Z",
            ],
        ),
        (
            nightly("02:30", "2027-03-12", json!({})),
            json!({"gap": "shift_forward", "overlap": "first"}),
            vec![
                "2027-03-12T07:30:00Z",
                "2027-03-13T07:30:00Z",
                "2027-03-14T07:30:00Z",
                "2027-03-15T06:30:00Z",
            ],
        ),
        (
            nightly("01:30", "2027-11-06", json!({"overlap": "both"})),
            json!({"gap": "shift_forward", "overlap": "both"}),
            vec![
                "2027-11-06T05:30:00Z",
                "2027-11-07T05:30:00Z",
                "2027-11-07T06:30:00Z",
                "2027-11-08T06:30:00Z",
            ],
        ),
        (
            nightly("01:30", "2027-11-06", json!({"overlap": "last"})),
            json!({"gap": "shift_forward", "overlap": "last"}),
            vec![
                "2027-11-06T05:30:00Z",
                "2027-11-07T06:30:00Z",
                "2027-11-08T06:30:00Z",
                "2027-11-09T06:30:00Z",
            ],
        ),
    ];
    let mut ids = Vec::new();
    for (body, policy, runs) in &cases {
        let (status, s) = api.post("/v1/schedules", body.clone()).await;
        assert_eq!(status, 201, "{s}");
        assert_eq!(s["dst_policy"], *policy, "{s}");
        let id = s["schedule_id"].as_str().unwrap().to_string();
        assert_eq!(&next(&api, &id, 4).await, runs, "{body}");
        ids.push(id);
    }
    let (_, v) = api
        .get(&format!("/v1/schedules/{}/next?count=1", ids[2]))
        .await;
    assert_eq!(
        v["dst_policy"],
        json!({"gap": "shift_forward", "overlap": "both"})
    );

    // The calendar names a policy that is not the default, and lists both runs of the fold.
    let (status, cal) = api
        .get("/v1/schedules/calendar?start_date=2027-11-07&end_date=2027-11-07&timezone=America/New_York")
        .await;
    assert_eq!(status, 200, "{cal}");
    let items: Vec<(String, Value)> = cal["days"][0]["executions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["schedule_id"] == ids[2].as_str())
        .map(|i| {
            (
                i["at"].as_str().unwrap().to_string(),
                i["dst_policy"].clone(),
            )
        })
        .collect();
    let both = json!({"gap": "shift_forward", "overlap": "both"});
    assert_eq!(
        items,
        [
            ("2027-11-07T05:30:00Z".to_string(), both.clone()),
            ("2027-11-07T06:30:00Z".to_string(), both)
        ]
    );

    // A new rule keeps the policy; naming one changes it.
    let patch = |body: Value| {
        api.http
            .put(api.server.url(&format!("/v1/schedules/{}", ids[0])))
            .bearer_auth(&api.token)
            .json(&body)
            .send()
    };
    let r = patch(
        json!({"recurrence_rule": {"frequency": "daily", "time_of_day": "02:15", "start_date": "2027-03-12"}}),
    );
    assert_eq!(r.await.unwrap().status().as_u16(), 200);
    assert_eq!(
        next(&api, &ids[0], 3).await,
        [
            "2027-03-12T07:15:00Z",
            "2027-03-13T07:15:00Z",
            "2027-03-15T06:15:00Z"
        ]
    );
    let r = patch(json!({"dst_policy": {"gap": "shift_forward"}}));
    assert_eq!(r.await.unwrap().status().as_u16(), 200);
    assert_eq!(
        next(&api, &ids[0], 3).await,
        [
            "2027-03-12T07:15:00Z",
            "2027-03-13T07:15:00Z",
            "2027-03-14T07:15:00Z"
        ]
    );

    // Bad values name the field, and change nothing.
    let bad = [
        (
            nightly("02:30", "2027-03-12", json!({"gap": "jump", "later": true})),
            vec!["dst_policy.gap", "dst_policy.later"],
        ),
        (
            nightly("02:30", "2027-03-12", json!("skip")),
            vec!["dst_policy"],
        ),
        (
            json!({"name": "n", "job_type": "export", "job_config": export_config(), "schedule_type": "once",
                   "scheduled_at": "2030-01-01T00:00:00Z", "dst_policy": {"gap": "skip"}}),
            vec!["dst_policy"],
        ),
        (
            json!({"name": "n", "job_type": "export", "job_config": export_config(), "schedule_type": "recurring",
                   "recurrence_rule": {"frequency": "hourly", "time_of_day": "00:15"}, "dst_policy": {"gap": "skip"}}),
            vec!["recurrence_rule.dst_policy"],
        ),
        (
            json!({"name": "n", "job_type": "export", "job_config": export_config(), "schedule_type": "recurring",
                   "recurrence_rule": {"frequency": "daily", "time_of_day": "00:15", "dst_policy": {"overlap": "last"}},
                   "dst_policy": {"overlap": "both"}}),
            vec!["dst_policy"],
        ),
    ];
    for (body, fields) in bad {
        let (status, problem) = api.post("/v1/schedules", body.clone()).await;
        assert_eq!(status, 422, "{body} -> {problem}");
        let got: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(got, fields, "{problem}");
    }
    let (_, list) = api.get("/v1/schedules").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 4);

    // Kept across a restart.
    let Api {
        http,
        mut server,
        token,
    } = api;
    assert!(server.terminate(Duration::from_secs(10)));
    let api = Api {
        http,
        server: Server::start(dir.path(), &[]),
        token,
    };
    assert_eq!(next(&api, &ids[2], 4).await, cases[2].2);
    let (_, s) = api.get(&format!("/v1/schedules/{}", ids[3])).await;
    assert_eq!(
        s["dst_policy"],
        json!({"gap": "shift_forward", "overlap": "last"})
    );
}
