//! Every schedule operation of issue 4 over HTTP against the real binary: create, list, get,
//! update, delete, pause, resume (with the missed policies and `run_immediately`), cancel,
//! clone and run now, and every forbidden transition of the status table (409, nothing changed).
//! There is no executor yet (issue 5): executions made here stay `pending`.

use crate::common;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use common::{Api, Server, export_config, once_body, start_with_user, weekly_body};
use serde_json::{Value, json};

const BERLIN_MONDAYS: &str =
    "DTSTART;TZID=Europe/Berlin:20300325T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO";

fn utc(s: &Value) -> DateTime<Utc> {
    s.as_str()
        .unwrap_or_else(|| panic!("not a time: {s}"))
        .parse()
        .unwrap()
}

fn fmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Monday 2030-03-25 09:00 in Berlin (CET, +01:00), weekly on Mondays.
async fn berlin_mondays(api: &Api, name: &str) -> Value {
    api.create(&weekly_body(
        name,
        "Europe/Berlin",
        &[1],
        "09:00",
        "2030-03-25",
    ))
    .await
}

/// An execution that was made to run: `pending` until the executor (issue 5) takes it, then
/// `running` and `completed` (the local job system completes at once); `skipped` when the
/// executor's overlap policy finds the previous run of the schedule still running.
fn queued_or_ran(e: &Value) -> bool {
    ["pending", "running", "completed", "skipped"].contains(&e["status"].as_str().unwrap_or(""))
}

/// The schedule as GET shows it (without the countdown), as text: operations that must change
/// nothing are compared byte for byte.
async fn snapshot(api: &Api, id: &str) -> String {
    api.schedule(id).await.to_string()
}

#[tokio::test]
async fn create_once_and_recurring_answer_every_field() {
    let (_dir, _server, api) = start_with_user();
    let before = Utc::now().trunc_subsecs(0);
    let at = before + chrono::Duration::days(1);
    let once = api
        .post("/v1/schedules", &once_body("tomorrow", &fmt(at)))
        .await
        .expect(201);
    let id = Api::id(&once);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let created = utc(&once["created_at"]);
    assert!(created >= before && created <= Utc::now(), "{created}");
    let expected = json!({
        "schedule_id": id,
        "name": "tomorrow",
        "description": null,
        "job_type": "export",
        "job_config": export_config(),
        "schedule_type": "once",
        "scheduled_at": fmt(at),
        "scheduled_at_local": at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        "recurrence_rule": null,
        "rrule": null,
        "timezone": "UTC",
        "dst_policy": null,
        "status": "active",
        "priority": "normal",
        "next_run_at": fmt(at),
        "next_run_at_local": at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        "last_run_at": null,
        "last_run_at_local": null,
        "run_count": 0,
        "max_runs": null,
        "missed_policy": "skip",
        "overlap_policy": "skip",
        "series_id": null,
        "episode": null,
        "created_at": once["created_at"],
        "updated_at": once["created_at"],
        // Monitoring: nothing has run yet.
        "success_rate": null,
        "average_duration_ms": null,
        "completed_runs": 0,
        "failed_runs": 0,
        "skipped_runs": 0,
        "failure_streak": 0,
        "last_error": null,
    });
    let countdown = once["next_run_in_seconds"].as_i64().unwrap();
    assert!((86_390..=86_400).contains(&countdown), "{countdown}");
    assert_eq!(common::stable(once), expected);
    // A single read also lists the recent runs (none yet).
    let mut with_recent = expected.clone();
    with_recent["recent_executions"] = json!([]);
    assert_eq!(api.schedule(&id).await, with_recent);

    // A local date-time without offset is read in the schedule's timezone.
    let mut body = once_body("berlin noon", "2030-01-15T13:00");
    body["timezone"] = json!("Europe/Berlin");
    body["priority"] = json!("urgent");
    body["description"] = json!("the January export");
    body["max_runs"] = json!(1);
    body["missed_policy"] = json!("run_latest");
    body["overlap_policy"] = json!("queue");
    let local = api.create(&body).await;
    for (k, v) in [
        ("scheduled_at", json!("2030-01-15T12:00:00Z")),
        ("scheduled_at_local", json!("2030-01-15T13:00:00+01:00")),
        ("next_run_at", json!("2030-01-15T12:00:00Z")),
        ("next_run_at_local", json!("2030-01-15T13:00:00+01:00")),
        ("timezone", json!("Europe/Berlin")),
        ("priority", json!("urgent")),
        ("description", json!("the January export")),
        ("max_runs", json!(1)),
        ("missed_policy", json!("run_latest")),
        ("overlap_policy", json!("queue")),
    ] {
        assert_eq!(local[k], v, "{k} in {local}");
    }

    let weekly = berlin_mondays(&api, "mondays").await;
    assert_eq!(weekly["schedule_type"], "recurring");
    assert_eq!(weekly["status"], "active");
    assert_eq!(weekly["run_count"], 0);
    assert_eq!(weekly["scheduled_at"], Value::Null);
    assert_eq!(weekly["next_run_at"], "2030-03-25T08:00:00Z");
    assert_eq!(weekly["next_run_at_local"], "2030-03-25T09:00:00+01:00");
    assert_eq!(weekly["rrule"], BERLIN_MONDAYS);
    assert_eq!(
        weekly["dst_policy"],
        json!({"gap": "shift_forward", "overlap": "first"})
    );
    assert_eq!(
        weekly["recurrence_rule"],
        json!({"frequency": "weekly", "interval": 1, "days_of_week": [1], "time_of_day": "09:00",
               "start_date": "2030-03-25", "end_date": null, "count": null})
    );
    let id = Api::id(&weekly);
    let mut read = api.schedule(&id).await;
    assert_eq!(
        read.as_object_mut().unwrap().remove("recent_executions"),
        Some(json!([]))
    );
    assert_eq!(read, common::stable(weekly.clone()));

    // From a Tuesday the first Monday is after the spring-forward of 2030-03-31: CEST.
    let dst = api
        .create(&weekly_body(
            "after dst",
            "Europe/Berlin",
            &[1],
            "09:00",
            "2030-03-26",
        ))
        .await;
    assert_eq!(dst["next_run_at"], "2030-04-01T07:00:00Z");
    assert_eq!(dst["next_run_at_local"], "2030-04-01T09:00:00+02:00");

    // 02:30 does not exist on 2030-03-31 in Berlin: it runs shifted by the gap, at 03:30 CEST.
    let mut gap = weekly_body("in the gap", "Europe/Berlin", &[], "02:30", "2030-03-31");
    gap["recurrence_rule"] =
        json!({"frequency": "daily", "time_of_day": "02:30", "start_date": "2030-03-31"});
    let gap = api.create(&gap).await;
    assert_eq!(gap["next_run_at"], "2030-03-31T01:30:00Z");
    assert_eq!(gap["next_run_at_local"], "2030-03-31T03:30:00+02:00");
    assert_eq!(
        gap["rrule"],
        "DTSTART;TZID=Europe/Berlin:20300331T023000\nRRULE:FREQ=DAILY"
    );

    // The rule may also be given as RRULE text.
    let mut text = weekly_body("as text", "Europe/Berlin", &[], "09:00", "2030-03-25");
    text["recurrence_rule"] = json!(BERLIN_MONDAYS);
    let text = api.create(&text).await;
    assert_eq!(text["recurrence_rule"], weekly["recurrence_rule"]);
    assert_eq!(text["next_run_at"], "2030-03-25T08:00:00Z");
}

/// The brief's response structure for a schedule lists `success_rate`.
#[tokio::test]
async fn schedule_response_has_success_rate() {
    let (_dir, _server, api) = start_with_user();
    let s = berlin_mondays(&api, "rate").await;
    let obj = s.as_object().unwrap();
    assert!(obj.contains_key("success_rate"), "no success_rate in {s}");
    assert_eq!(s["success_rate"], Value::Null, "no finished runs yet: {s}");
}

#[tokio::test]
async fn list_filters_and_pages_in_creation_order() {
    let (_dir, _server, api) = start_with_user();
    let plugins = api.get("/v1/plugins").await.expect(200);
    let video = plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["job_type"] == "video_generation")
        .unwrap();
    let video_config = video["example_config"].clone();
    // (job type, priority, paused?)
    let plan = [
        ("export", "normal", false),
        ("video_generation", "high", false),
        ("export", "high", true),
        ("export", "low", false),
        ("video_generation", "urgent", true),
        ("export", "high", false),
        ("video_generation", "normal", false),
    ];
    let mut ids = Vec::new();
    for (i, (job_type, priority, paused)) in plan.iter().enumerate() {
        let mut body = berlin_body(&format!("s{i}"));
        body["job_type"] = json!(job_type);
        body["priority"] = json!(priority);
        if *job_type == "video_generation" {
            body["job_config"] = video_config.clone();
        }
        let id = Api::id(&api.create(&body).await);
        if *paused {
            api.post_empty(&format!("/v1/schedules/{id}/pause"))
                .await
                .expect(200);
        }
        ids.push(id);
    }
    let pick = |f: &dyn Fn(&(&str, &str, bool)) -> bool| -> Vec<String> {
        plan.iter()
            .zip(&ids)
            .filter(|(p, _)| f(p))
            .map(|(_, id)| id.clone())
            .collect()
    };
    let listed = |items: &[Value]| -> Vec<String> { items.iter().map(Api::id).collect() };

    let page = api.get("/v1/schedules").await.expect(200);
    assert_eq!(listed(page["items"].as_array().unwrap()), ids);
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(listed(&api.list_all("status=paused").await), pick(&|p| p.2));
    assert_eq!(
        listed(&api.list_all("status=active").await),
        pick(&|p| !p.2)
    );
    assert_eq!(
        listed(&api.list_all("status=cancelled").await),
        Vec::<String>::new()
    );
    assert_eq!(
        listed(&api.list_all("job_type=video_generation").await),
        pick(&|p| p.0 == "video_generation")
    );
    assert_eq!(
        listed(&api.list_all("priority=high").await),
        pick(&|p| p.1 == "high")
    );
    assert_eq!(
        listed(
            &api.list_all("job_type=export&priority=high&status=active")
                .await
        ),
        vec![ids[5].clone()]
    );
    assert_eq!(
        listed(&api.list_all("job_type=caption_generation").await),
        Vec::<String>::new()
    );

    // Pages of 3: 3 + 3 + 1, the last with no cursor, together the whole list in order.
    let mut seen = Vec::new();
    let mut path = "/v1/schedules?limit=3".to_string();
    let mut sizes = Vec::new();
    loop {
        let page = api.get(&path).await.expect(200);
        let items = page["items"].as_array().unwrap();
        sizes.push(items.len());
        seen.extend(listed(items));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/schedules?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen, ids);
    // Paging inside a filter.
    let first = api
        .get("/v1/schedules?status=paused&limit=1")
        .await
        .expect(200);
    assert_eq!(
        listed(first["items"].as_array().unwrap()),
        vec![ids[2].clone()]
    );
    let c = first["next_cursor"].as_str().unwrap();
    let second = api
        .get(&format!("/v1/schedules?status=paused&limit=1&cursor={c}"))
        .await
        .expect(200);
    assert_eq!(
        listed(second["items"].as_array().unwrap()),
        vec![ids[4].clone()]
    );
}

fn berlin_body(name: &str) -> Value {
    weekly_body(name, "Europe/Berlin", &[1], "09:00", "2030-03-25")
}

#[tokio::test]
async fn update_follows_the_modification_table() {
    let (_dir, _server, api) = start_with_user();
    let s = berlin_mondays(&api, "original").await;
    let id = Api::id(&s);
    let path = format!("/v1/schedules/{id}");

    let u = api
        .put(
            &path,
            &json!({"name": "renamed", "description": "about it"}),
        )
        .await
        .expect(200);
    assert_eq!(
        (u["name"].clone(), u["description"].clone()),
        (json!("renamed"), json!("about it"))
    );
    assert_eq!(u["next_run_at"], s["next_run_at"]);
    assert_eq!(u["created_at"], s["created_at"]);
    assert!(utc(&u["updated_at"]) >= utc(&s["updated_at"]));
    assert_eq!(
        api.put(&path, &json!({"description": null}))
            .await
            .expect(200)["description"],
        Value::Null
    );

    // job_config: judged by the plugin; a rejected one changes nothing.
    let mut cfg = export_config();
    cfg["format"] = json!("webm");
    assert_eq!(
        api.put(&path, &json!({"job_config": cfg}))
            .await
            .expect(200)["job_config"],
        cfg
    );
    let before = snapshot(&api, &id).await;
    let bad = api
        .put(
            &path,
            &json!({"job_config": {"project_id": common::PROJECT_ID, "format": "avi"}}),
        )
        .await;
    assert_eq!(bad.error_fields(), ["job_config.format"]);
    assert_eq!(snapshot(&api, &id).await, before);

    // timezone: same wall time, new instants.
    let u = api
        .put(&path, &json!({"timezone": "America/New_York"}))
        .await
        .expect(200);
    assert_eq!(u["timezone"], "America/New_York");
    assert_eq!(u["next_run_at"], "2030-03-25T13:00:00Z");
    assert_eq!(u["next_run_at_local"], "2030-03-25T09:00:00-04:00");
    assert_eq!(
        u["rrule"],
        "DTSTART;TZID=America/New_York:20300325T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO"
    );

    // recurrence_rule: Wednesdays 18:30 from the same start.
    let rule = json!({"frequency": "weekly", "days_of_week": [3], "time_of_day": "18:30", "start_date": "2030-03-25"});
    let u = api
        .put(&path, &json!({"recurrence_rule": rule}))
        .await
        .expect(200);
    assert_eq!(u["next_run_at"], "2030-03-27T22:30:00Z");
    assert_eq!(u["next_run_at_local"], "2030-03-27T18:30:00-04:00");
    assert_eq!(u["recurrence_rule"]["days_of_week"], json!([3]));

    let u = api
        .put(&path, &json!({"priority": "urgent", "max_runs": 5}))
        .await
        .expect(200);
    assert_eq!(
        (u["priority"].clone(), u["max_runs"].clone()),
        (json!("urgent"), json!(5))
    );
    let u = api.put(&path, &json!({"max_runs": null})).await.expect(200);
    assert_eq!(u["max_runs"], Value::Null);
    assert_eq!(u["status"], "active");
    assert_eq!(u["run_count"], 0);

    // What cannot change on a schedule: 422, naming each field, and nothing changes.
    let before = snapshot(&api, &id).await;
    assert_eq!(
        api.put(&path, &json!({"job_type": "video_generation"}))
            .await
            .error_fields(),
        ["job_type"]
    );
    assert_eq!(
        api.put(&path, &json!({"schedule_type": "once"}))
            .await
            .error_fields(),
        ["schedule_type"]
    );
    let all = api
        .put(
            &path,
            &json!({"job_type": "x", "schedule_type": "once", "name": "", "priority": "asap"}),
        )
        .await;
    assert_eq!(
        all.error_fields(),
        ["job_type", "name", "priority", "schedule_type"]
    );
    assert_eq!(snapshot(&api, &id).await, before);

    // A once schedule's time moves its next run.
    let once = api.create(&once_body("once", "2030-01-15T12:00:00Z")).await;
    let u = api
        .put(
            &format!("/v1/schedules/{}", Api::id(&once)),
            &json!({"scheduled_at": "2030-02-01T08:00:00Z"}),
        )
        .await;
    let u = u.expect(200);
    assert_eq!(
        (u["scheduled_at"].clone(), u["next_run_at"].clone()),
        (json!("2030-02-01T08:00:00Z"), json!("2030-02-01T08:00:00Z"))
    );
}

#[tokio::test]
async fn delete_removes_the_schedule_and_its_history() {
    let (_dir, _server, api) = start_with_user();
    let keep = Api::id(&berlin_mondays(&api, "keep").await);
    let gone = Api::id(&berlin_mondays(&api, "gone").await);
    for _ in 0..2 {
        api.post_empty(&format!("/v1/schedules/{gone}/run"))
            .await
            .expect(201);
    }
    api.post_empty(&format!("/v1/schedules/{keep}/run"))
        .await
        .expect(201);
    assert_eq!(api.executions(&gone).await.len(), 2);
    api.settled_executions(&keep).await;
    let kept = snapshot(&api, &keep).await;

    let r = api.delete(&format!("/v1/schedules/{gone}")).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    api.get(&format!("/v1/schedules/{gone}")).await.problem(404);
    api.get(&format!("/v1/schedules/{gone}/executions"))
        .await
        .problem(404);
    api.delete(&format!("/v1/schedules/{gone}"))
        .await
        .problem(404);
    api.post_empty(&format!("/v1/schedules/{gone}/run"))
        .await
        .problem(404);
    let ids: Vec<String> = api.list_all("").await.iter().map(Api::id).collect();
    assert_eq!(ids, vec![keep.clone()]);
    assert_eq!(snapshot(&api, &keep).await, kept);
    assert_eq!(api.executions(&keep).await.len(), 1);
}

#[tokio::test]
async fn pause_then_resume_recalculates_and_can_run_immediately() {
    let (_dir, _server, api) = start_with_user();
    let s = berlin_mondays(&api, "weekly").await;
    let id = Api::id(&s);
    let p = api
        .post_empty(&format!("/v1/schedules/{id}/pause"))
        .await
        .expect(200);
    assert_eq!(p["status"], "paused");
    assert_eq!(
        p["next_run_at"], "2030-03-25T08:00:00Z",
        "the next run is preserved while paused"
    );
    let r = api
        .post_empty(&format!("/v1/schedules/{id}/resume"))
        .await
        .expect(200);
    assert_eq!(r["status"], "active");
    assert_eq!(r["next_run_at"], "2030-03-25T08:00:00Z");
    assert_eq!(r["next_run_at_local"], "2030-03-25T09:00:00+01:00");
    assert_eq!(r["run_count"], 0);
    assert!(api.executions(&id).await.is_empty());

    api.post_empty(&format!("/v1/schedules/{id}/pause"))
        .await
        .expect(200);
    let t0 = Utc::now().trunc_subsecs(0);
    let r = api
        .post_empty(&format!("/v1/schedules/{id}/resume?run_immediately=true"))
        .await
        .expect(200);
    assert_eq!(
        (r["status"].clone(), r["run_count"].clone()),
        (json!("active"), json!(0))
    );
    assert_eq!(r["next_run_at"], "2030-03-25T08:00:00Z");
    let runs = api.executions(&id).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    let e = &runs[0];
    assert!(queued_or_ran(e), "{e}");
    assert_eq!(e["is_manual"], true);
    assert_eq!(e["counts_toward_max_runs"], false);
    assert_eq!(e["schedule_id"], id.as_str());
    assert!(utc(&e["scheduled_for"]) >= t0 && utc(&e["scheduled_for"]) <= Utc::now());
}

/// Once schedules due in a moment are paused past their time; resume applies each policy.
/// The grace window is 0 here, so being late at all is missed (with the default 60 s, a run
/// resumed a second late is still on time and just runs).
#[tokio::test]
async fn resume_applies_the_missed_policy() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--grace-secs", "0"]);
    let api = Api::for_new_user(&server);
    let at = Utc::now().trunc_subsecs(0) + chrono::Duration::seconds(3);
    let mut ids = Vec::new();
    for policy in ["skip", "run_latest", "run_all"] {
        let mut body = once_body(policy, &fmt(at));
        body["missed_policy"] = json!(policy);
        let id = Api::id(&api.create(&body).await);
        api.post_empty(&format!("/v1/schedules/{id}/pause"))
            .await
            .expect(200);
        ids.push(id);
    }
    let wait = (at - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(1200);
    tokio::time::sleep(wait).await;
    for (policy, id) in ["skip", "run_latest", "run_all"].iter().zip(&ids) {
        let r = api
            .post_empty(&format!("/v1/schedules/{id}/resume"))
            .await
            .expect(200);
        assert_eq!(r["status"], "completed", "{policy}: {r}");
        assert_eq!(r["next_run_at"], Value::Null, "{policy}");
        let runs = api.executions(id).await;
        assert_eq!(runs.len(), 1, "{policy}: {runs:?}");
        assert_eq!(runs[0]["scheduled_for"], fmt(at), "{policy}");
        assert_eq!(runs[0]["is_manual"], false, "{policy}");
        if *policy == "skip" {
            assert_eq!(runs[0]["status"], "skipped");
            assert_eq!(r["run_count"], 0);
            assert_eq!(r["last_run_at"], Value::Null);
        } else {
            assert!(queued_or_ran(&runs[0]), "{policy}: {}", runs[0]);
            assert_eq!(runs[0]["counts_toward_max_runs"], true, "{policy}");
            assert_eq!(r["run_count"], 1, "{policy}");
            assert_eq!(r["last_run_at"], fmt(at), "{policy}");
        }
    }
}

#[tokio::test]
async fn cancel_is_final_and_keeps_history() {
    let (_dir, _server, api) = start_with_user();
    let id = Api::id(&berlin_mondays(&api, "to cancel").await);
    api.post_empty(&format!("/v1/schedules/{id}/run"))
        .await
        .expect(201);
    let c = api
        .post_empty(&format!("/v1/schedules/{id}/cancel"))
        .await
        .expect(200);
    assert_eq!(
        (c["status"].clone(), c["next_run_at"].clone()),
        (json!("cancelled"), Value::Null)
    );
    assert_eq!(c["next_run_at_local"], Value::Null);
    assert_eq!(api.executions(&id).await.len(), 1, "history is preserved");
    let mut missing = Vec::new();
    assert_forbidden(&api, &id, "cancelled", &mut missing).await;
    assert!(
        missing.is_empty(),
        "409 without current_status:\n{}",
        missing.join("\n")
    );
}

/// Every operation the status table forbids from `status`: 409, nothing changed. A 409 that
/// does not name the current status is collected into `missing_status` (so one test reports
/// every such route at once).
async fn assert_forbidden(api: &Api, id: &str, status: &str, missing_status: &mut Vec<String>) {
    let runs = api.settled_executions(id).await.len();
    let before = snapshot(api, id).await;
    let (post, put) = (reqwest::Method::POST, reqwest::Method::PUT);
    let all = [
        ("pause", post.clone(), "/pause", None),
        ("resume", post.clone(), "/resume", None),
        (
            "resume now",
            post.clone(),
            "/resume?run_immediately=true",
            None,
        ),
        ("cancel", post.clone(), "/cancel", None),
        ("update", put, "", Some(json!({"name": "new"}))),
        ("run", post.clone(), "/run", None),
        ("counted run", post, "/run?count_toward_max_runs=true", None),
    ];
    let forbidden: &[&str] = match status {
        "active" => &["resume", "resume now"],
        "paused" => &["pause"],
        _ => &[
            "pause",
            "resume",
            "resume now",
            "cancel",
            "update",
            "run",
            "counted run",
        ],
    };
    for (what, method, suffix, body) in all.into_iter().filter(|a| forbidden.contains(&a.0)) {
        let path = format!("/v1/schedules/{id}{suffix}");
        let r = api
            .send(method, &path, body.map(|b| b.to_string().into_bytes()))
            .await;
        let p = r.problem(409);
        if p["current_status"] != status {
            missing_status.push(format!("{what} on a {status} schedule: {p}"));
        }
        assert_eq!(
            snapshot(api, id).await,
            before,
            "{what} on a {status} schedule changed it"
        );
    }
    assert_eq!(api.executions(id).await.len(), runs);
}

#[tokio::test]
async fn forbidden_transitions_answer_409_and_change_nothing() {
    let (_dir, _server, api) = start_with_user();
    let mut missing = Vec::new();
    let active = Api::id(&berlin_mondays(&api, "active").await);
    assert_forbidden(&api, &active, "active", &mut missing).await;

    let paused = Api::id(&berlin_mondays(&api, "paused").await);
    api.post_empty(&format!("/v1/schedules/{paused}/pause"))
        .await
        .expect(200);
    assert_forbidden(&api, &paused, "paused", &mut missing).await;

    let mut body = berlin_body("completed");
    body["max_runs"] = json!(1);
    let completed = Api::id(&api.create(&body).await);
    api.post_empty(&format!(
        "/v1/schedules/{completed}/run?count_toward_max_runs=true"
    ))
    .await
    .expect(201);
    assert_eq!(
        api.get(&format!("/v1/schedules/{completed}"))
            .await
            .expect(200)["status"],
        "completed"
    );
    assert_forbidden(&api, &completed, "completed", &mut missing).await;

    let cancelled = Api::id(&berlin_mondays(&api, "cancelled").await);
    api.post_empty(&format!("/v1/schedules/{cancelled}/pause"))
        .await
        .expect(200);
    api.post_empty(&format!("/v1/schedules/{cancelled}/cancel"))
        .await
        .expect(200);
    assert_forbidden(&api, &cancelled, "cancelled", &mut missing).await;
    assert!(
        missing.is_empty(),
        "409 without current_status:\n{}",
        missing.join("\n")
    );
}

#[tokio::test]
async fn clone_applies_overrides_and_leaves_the_source() {
    let (_dir, _server, api) = start_with_user();
    let id = Api::id(&berlin_mondays(&api, "source").await);
    api.post_empty(&format!(
        "/v1/schedules/{id}/run?count_toward_max_runs=true"
    ))
    .await
    .expect(201);
    api.post_empty(&format!("/v1/schedules/{id}/pause"))
        .await
        .expect(200);
    api.settled_executions(&id).await;
    let source = snapshot(&api, &id).await;

    let overrides =
        json!({"name": "copy", "priority": "high", "timezone": "America/New_York", "max_runs": 3});
    let c = api
        .post(&format!("/v1/schedules/{id}/clone"), &overrides)
        .await
        .expect(201);
    assert_ne!(Api::id(&c), id);
    let src: Value = serde_json::from_str(&source).unwrap();
    for (k, v) in [
        ("name", json!("copy")),
        ("priority", json!("high")),
        ("timezone", json!("America/New_York")),
        ("max_runs", json!(3)),
        ("status", json!("active")),
        ("run_count", json!(0)),
        ("last_run_at", Value::Null),
        ("next_run_at", json!("2030-03-25T13:00:00Z")),
        ("next_run_at_local", json!("2030-03-25T09:00:00-04:00")),
        ("job_type", src["job_type"].clone()),
        ("job_config", src["job_config"].clone()),
        ("recurrence_rule", src["recurrence_rule"].clone()),
    ] {
        assert_eq!(c[k], v, "{k} of the clone {c}");
    }
    assert!(api.executions(&Api::id(&c)).await.is_empty());
    assert_eq!(snapshot(&api, &id).await, source, "the source is unchanged");

    // No body: an exact copy under a new id.
    let plain = api
        .post_empty(&format!("/v1/schedules/{id}/clone"))
        .await
        .expect(201);
    assert_eq!(
        (plain["name"].clone(), plain["status"].clone()),
        (json!("source"), json!("active"))
    );
    assert_eq!(plain["next_run_at"], "2030-03-25T08:00:00Z");

    // A rejected override creates nothing.
    let n = api.list_all("").await.len();
    let bad = api
        .post(
            &format!("/v1/schedules/{id}/clone"),
            &json!({"job_type": "video_generation", "name": 1}),
        )
        .await;
    assert_eq!(bad.error_fields(), ["job_type", "name"]);
    assert_eq!(api.list_all("").await.len(), n);
    assert_eq!(snapshot(&api, &id).await, source);
}

#[tokio::test]
async fn run_now_is_manual_and_counts_only_when_asked() {
    let (_dir, _server, api) = start_with_user();
    let mut body = berlin_body("run me");
    body["max_runs"] = json!(2);
    let s = api.create(&body).await;
    let id = Api::id(&s);
    let t0 = Utc::now().trunc_subsecs(0);

    let e = api
        .post_empty(&format!("/v1/schedules/{id}/run"))
        .await
        .expect(201);
    assert!(
        uuid::Uuid::parse_str(e["execution_id"].as_str().unwrap()).is_ok(),
        "{e}"
    );
    assert_eq!(e["schedule_id"], id.as_str());
    assert_eq!(
        (e["status"].clone(), e["is_manual"].clone()),
        (json!("pending"), json!(true))
    );
    assert_eq!(e["counts_toward_max_runs"], false);
    assert_eq!(
        (e["job_id"].clone(), e["started_at"].clone()),
        (Value::Null, Value::Null)
    );
    let at = utc(&e["scheduled_for"]);
    assert!(at >= t0 && at <= Utc::now(), "{e}");
    let after = api.get(&format!("/v1/schedules/{id}")).await.expect(200);
    assert_eq!(after["next_run_at"], "2030-03-25T08:00:00Z");
    assert_eq!(
        (after["run_count"].clone(), after["last_run_at"].clone()),
        (json!(0), Value::Null)
    );

    let e = api
        .post_empty(&format!(
            "/v1/schedules/{id}/run?count_toward_max_runs=true"
        ))
        .await
        .expect(201);
    assert_eq!(e["counts_toward_max_runs"], true);
    let after = api.get(&format!("/v1/schedules/{id}")).await.expect(200);
    assert_eq!(
        (after["run_count"].clone(), after["status"].clone()),
        (json!(1), json!("active"))
    );
    assert_eq!(
        after["next_run_at"], "2030-03-25T08:00:00Z",
        "run now leaves the next run alone"
    );
    assert_eq!(after["last_run_at"], e["scheduled_for"]);

    // The same flag in a JSON body; max_runs reached: completed.
    let e = api
        .post(
            &format!("/v1/schedules/{id}/run"),
            &json!({"count_toward_max_runs": true}),
        )
        .await
        .expect(201);
    assert_eq!(e["counts_toward_max_runs"], true);
    let after = api.get(&format!("/v1/schedules/{id}")).await.expect(200);
    assert_eq!(
        (after["run_count"].clone(), after["status"].clone()),
        (json!(2), json!("completed"))
    );
    assert_eq!(after["next_run_at"], Value::Null);
    // (Its current_status is checked in forbidden_transitions_answer_409_and_change_nothing.)
    api.post_empty(&format!("/v1/schedules/{id}/run"))
        .await
        .problem(409);

    let runs = api.executions(&id).await;
    assert_eq!(runs.len(), 3);
    assert!(
        runs.iter()
            .all(|r| r["is_manual"] == true && queued_or_ran(r)),
        "{runs:?}"
    );
    let counted: Vec<bool> = runs
        .iter()
        .map(|r| r["counts_toward_max_runs"].as_bool().unwrap())
        .collect();
    assert_eq!(counted, [true, true, false], "newest first");
}

/// The executor sleeps until the earliest due time (here an hour away, so up to its 60 s
/// safety-net cap). A schedule created due sooner must wake it; one due later than its planned
/// look need not (creates skip that wake-up), and still runs when its time comes.
#[tokio::test]
async fn a_schedule_due_sooner_wakes_the_sleeping_executor() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let api = Api::for_new_user(&server);
    let far = Utc::now().trunc_subsecs(0) + chrono::Duration::hours(1);
    api.create(&once_body("far", &fmt(far))).await;
    // Let the executor settle into its sleep.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at = Utc::now().trunc_subsecs(0) + chrono::Duration::seconds(2);
    let id = Api::id(&api.create(&once_body("soon", &fmt(at))).await);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let run = loop {
        let runs = api.executions(&id).await;
        if let Some(r) = runs.first().filter(|r| r["status"] == "completed") {
            break r.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the executor slept through a sooner schedule: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(run["scheduled_for"], fmt(at));
    let late = utc(&run["started_at"]) - at;
    assert!(
        late >= chrono::Duration::zero() && late < chrono::Duration::seconds(2),
        "started {late} after its time"
    );
}
