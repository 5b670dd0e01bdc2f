//! Calendar feeds through the real binary: create, list and revoke over `/v1/feeds`; the feed
//! URL without a bearer token (text/calendar, folded lines, ETag and 304, paused marked,
//! cancelled gone, never another user's); and the feed read by an independent iCalendar
//! implementation (Python's `icalendar` + `recurring-ical-events`), whose instants over a
//! year must equal `/next` for the same schedules in four zones with exceptions, holidays and
//! a reschedule. That one is skipped where the Python packages are missing, unless
//! `SGSCHED_REQUIRE_ICAL=1` (set by `.ci/run`, which installs them).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::common::api::Api;
use crate::common::{export_config, repo_root};

const ALICE: &str = "0193a1b2-0000-7000-8000-00000000fe01";
const BOB: &str = "0193a1b2-0000-7000-8000-00000000fe02";

fn recurring(name: &str, tz: &str, rule: Value) -> Value {
    json!({
        "name": name,
        "job_type": "export",
        "job_config": export_config(),
        "schedule_type": "recurring",
        "timezone": tz,
        "recurrence_rule": rule,
    })
}

async fn create(api: &Api, body: Value) -> String {
    let (status, s) = api.post("/v1/schedules", body).await;
    assert_eq!(status, 201, "{s}");
    s["schedule_id"].as_str().unwrap().to_string()
}

struct Fetched {
    status: u16,
    etag: Option<String>,
    content_type: Option<String>,
    body: String,
}

async fn fetch(api: &Api, url: &str, if_none_match: Option<&str>) -> Fetched {
    let mut r = api.http.get(url);
    if let Some(tag) = if_none_match {
        r = r.header("if-none-match", tag);
    }
    let r = r.send().await.unwrap();
    let header = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_string());
    Fetched {
        status: r.status().as_u16(),
        etag: header("etag"),
        content_type: header("content-type"),
        body: r.text().await.unwrap(),
    }
}

fn unfolded(body: &str) -> String {
    body.replace("\r\n ", "")
}

#[tokio::test]
async fn feeds_are_created_listed_revoked_and_hold_only_their_owners_live_schedules() {
    let (_dir, api) = Api::start(ALICE, &[]);
    let bob = api.server.token(BOB);
    let weekly = create(
        &api,
        recurring(
            "Weekly export, a long name that goes on and on so the SUMMARY line must fold",
            "Europe/Berlin",
            json!({"frequency": "weekly", "days_of_week": [1, 3], "time_of_day": "09:00", "start_date": "2030-01-07"}),
        ),
    )
    .await;
    let once = create(
        &api,
        crate::common::once_body("Launch", "2031-05-01T12:00:00Z"),
    )
    .await;
    let (_, theirs) = api
        .post_as(
            &bob,
            "/v1/schedules",
            recurring(
                "Bob's",
                "America/New_York",
                json!({"frequency": "daily", "time_of_day": "08:00"}),
            ),
        )
        .await;
    let theirs = theirs["schedule_id"].as_str().unwrap().to_string();

    let (status, feed) = api.post("/v1/feeds", json!({})).await;
    assert_eq!(status, 201, "{feed}");
    let url = feed["url"].as_str().unwrap().to_string();
    let feed_id = feed["feed_id"].as_str().unwrap().to_string();
    let secret = url
        .strip_prefix(&api.server.url("/v1/ics/"))
        .and_then(|s| s.strip_suffix(".ics"))
        .unwrap_or_else(|| panic!("{url}"));
    assert!(secret.starts_with("sgf_") && secret.len() == 68, "{secret}");
    assert_eq!(
        feed["filter"],
        json!({"job_type": null, "schedule_ids": [], "include_past_runs": false})
    );

    // No bearer token: the secret is the credential.
    let got = fetch(&api, &url, None).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(
        got.content_type.as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    assert!(got.body.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(got.body.ends_with("END:VCALENDAR\r\n"));
    for line in got.body.split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        assert!(!line.contains('\n'), "bare LF in {line:?}");
    }
    let text = unfolded(&got.body);
    assert!(text.contains(&format!("UID:{weekly}@sgsched")));
    assert!(text.contains(&format!("UID:{once}@sgsched")));
    assert!(
        !text.contains(&theirs),
        "another user's schedule in the feed"
    );
    assert!(
        text.contains(
            "DTSTART;TZID=Europe/Berlin:20300107T090000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE\r\n"
        ),
        "{text}"
    );
    assert!(text.contains("DTSTART:20310501T120000Z"));
    assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"));
    assert!(text.contains(
        "SUMMARY:Weekly export\\, a long name that goes on and on so the SUMMARY line must fold"
    ));
    assert!(text.contains(&format!(
        "URL:{}",
        api.server.url(&format!("/schedules/{weekly}"))
    )));
    assert!(text.contains("DESCRIPTION:Job type: export\\nSchedule: "));

    // Unchanged: 304 on the tag; a change moves the tag.
    let tag = got.etag.clone().expect("an ETag");
    let again = fetch(&api, &url, Some(&tag)).await;
    assert_eq!((again.status, again.body.as_str()), (304, ""));
    assert_eq!(again.etag.as_deref(), Some(tag.as_str()));
    // The text does not move with the clock: a second later it is still unchanged.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(fetch(&api, &url, Some(&tag)).await.status, 304);
    assert_eq!(
        api.post(&format!("/v1/schedules/{weekly}/pause"), json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        api.post(&format!("/v1/schedules/{once}/cancel"), json!({}))
            .await
            .0,
        200
    );
    let changed = fetch(&api, &url, Some(&tag)).await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.etag.as_deref(), Some(tag.as_str()));
    let text = unfolded(&changed.body);
    assert!(
        text.contains("(paused)\r\n") && text.contains("STATUS:TENTATIVE\r\n"),
        "{text}"
    );
    assert!(
        !text.contains(&once),
        "a cancelled schedule stays in the feed"
    );

    // Filters: by job type and by schedule; another user's schedule cannot be named.
    let (_, by_type) = api.post("/v1/feeds", json!({"job_type": "video"})).await;
    let typed = fetch(&api, by_type["url"].as_str().unwrap(), None).await;
    assert!(!typed.body.contains("BEGIN:VEVENT"), "{}", typed.body);
    let (status, err) = api
        .post(
            "/v1/feeds",
            json!({"schedule_ids": [theirs, "nope"], "extra": 1}),
        )
        .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = err["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["extra", "schedule_ids[1]", "schedule_ids[0]"],
        "{err}"
    );

    // Listing and revoking are the owner's alone.
    let (_, list) = api.get("/v1/feeds").await;
    let ids: Vec<&str> = list["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feed_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [feed_id.as_str(), by_type["feed_id"].as_str().unwrap()]
    );
    assert!(
        list.to_string().find("sgf_").is_none(),
        "a listing shows a secret: {list}"
    );
    let (_, bobs) = api.get_as(&bob, "/v1/feeds").await;
    assert_eq!(bobs["feeds"], json!([]));
    assert_eq!(
        api.delete_as(&bob, &format!("/v1/feeds/{feed_id}")).await.0,
        404
    );
    assert_eq!(fetch(&api, &url, None).await.status, 200);
    assert_eq!(api.delete(&format!("/v1/feeds/{feed_id}")).await.0, 204);
    let gone = fetch(&api, &url, None).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert!(gone.body.contains("no such feed"));
    assert_eq!(api.delete(&format!("/v1/feeds/{feed_id}")).await.0, 404);

    // A revoked URL, a near miss and a random guess all cost one hashed lookup.
    let near = format!(
        "{}{}",
        &url[..url.len() - 5],
        if url.ends_with("0.ics") {
            "1.ics"
        } else {
            "0.ics"
        }
    );
    let random = api
        .server
        .url(&format!("/v1/ics/sgf_{}.ics", "7".repeat(64)));
    let mut medians = Vec::new();
    for u in [&url, &near, &random] {
        let mut times = Vec::new();
        for _ in 0..25 {
            let t = Instant::now();
            assert_eq!(fetch(&api, u, None).await.status, 404);
            times.push(t.elapsed());
        }
        times.sort();
        medians.push(times[12]);
    }
    let (lo, hi) = (medians.iter().min().unwrap(), medians.iter().max().unwrap());
    assert!(*hi < Duration::from_millis(50), "{medians:?}");
    assert!(
        hi.as_secs_f64() <= lo.as_secs_f64() * 3.0 + 0.002,
        "{medians:?}"
    );
}

/// Whether Python's `icalendar` and `recurring-ical-events` can be imported.
pub fn python_ical_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import icalendar, recurring_ical_events"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("SGSCHED_REQUIRE_ICAL").as_deref() != Ok("1"),
            "SGSCHED_REQUIRE_ICAL=1 but python3 cannot import icalendar and recurring_ical_events \
             (pip install -r tests/ical/requirements.txt)"
        );
        eprintln!("skipped: python3 with icalendar and recurring-ical-events is not installed");
    }
    ok
}

/// The instants (UTC, RFC 3339) of every event in `[from, to)` by UID, as the Python library
/// expands `ics`, and the zones whose VTIMEZONE disagreed with IANA.
pub fn python_expand(
    ics: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (BTreeMap<String, Vec<String>>, Value) {
    let mut child = Command::new("python3")
        .arg(repo_root().join("tests/ical/expand.py"))
        .arg(from.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .arg(to.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "expand.py failed on:\n{ics}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = v["events"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    (events, v)
}

/// `/next` of a schedule up to `to`.
pub async fn planned_until(api: &Api, id: &str, to: DateTime<Utc>) -> Vec<String> {
    let (status, next) = api
        .get(&format!("/v1/schedules/{id}/next?count=1000"))
        .await;
    assert_eq!(status, 200, "{next}");
    next["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["at"].as_str().unwrap().to_string())
        .filter(|at| at.parse::<DateTime<Utc>>().unwrap() < to)
        .collect()
}

#[tokio::test]
async fn an_independent_reader_sees_in_the_feed_exactly_the_runs_next_plans() {
    if !python_ical_available() {
        return;
    }
    let (_dir, api) = Api::start(ALICE, &[]);
    let now = Utc::now();
    let year = now.format("%Y").to_string().parse::<i32>().unwrap();
    let next = year + 1;
    let bodies = [
        // The spring gap (02:30 shifts to 03:30) and the autumn fold, a skipped date, US
        // holidays skipped, one run rescheduled to the next day.
        recurring(
            "New York nightly",
            "America/New_York",
            json!({
                "frequency": "daily", "time_of_day": "02:30", "start_date": format!("{year}-11-20"),
                "exceptions": [format!("{next}-01-15"), {"holiday_calendar": "US", "action": "skip"},
                    {"date": format!("{next}-02-03"), "action": "reschedule", "to": format!("{next}-02-04T10:00")}],
            }),
        ),
        // German holidays move to the next business day.
        recurring(
            "Berlin publishing",
            "Europe/Berlin",
            json!({
                "frequency": "weekly", "days_of_week": [1, 3, 5], "time_of_day": "09:00", "start_date": format!("{year}-11-02"),
                "exceptions": [{"holiday_calendar": "DE", "action": "next_business_day"}],
            }),
        ),
        // Lord Howe moves by half an hour: 01:15 repeats in April, 02:15 is missing in October.
        recurring(
            "Lord Howe twice a day",
            "Australia/Lord_Howe",
            json!({
                "frequency": "daily", "hours": [1, 2], "minutes": [15], "time_of_day": "01:15", "start_date": format!("{year}-12-01"),
                "exceptions": [format!("{next}-03-01")],
            }),
        ),
        // Santiago's gap is at midnight: 00:30 does not exist on the spring-forward day.
        recurring(
            "Santiago at half past midnight",
            "America/Santiago",
            json!({
                "frequency": "daily", "time_of_day": "00:30", "start_date": format!("{year}-12-01"),
            }),
        ),
        // A run cap: the feed must stop where sgsched stops.
        json!({
            "name": "Five Mondays", "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "America/New_York", "max_runs": 5,
            "recurrence_rule": {"frequency": "weekly", "days_of_week": [1], "time_of_day": "18:00"},
        }),
        crate::common::once_body("One launch", &format!("{next}-06-01T12:00:00Z")),
        // DST policies the RRULE cannot say: the feed lists their differences as dates.
        json!({
            "name": "Both instants of the fold", "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "America/New_York", "dst_policy": {"overlap": "both"},
            "recurrence_rule": {"frequency": "daily", "time_of_day": "01:30", "start_date": format!("{year}-12-01")},
        }),
        json!({
            "name": "No run in the gap", "job_type": "export", "job_config": export_config(),
            "schedule_type": "recurring", "timezone": "Europe/Berlin", "dst_policy": {"gap": "skip", "overlap": "last"},
            "recurrence_rule": {"frequency": "daily", "time_of_day": "02:30", "start_date": format!("{year}-12-01")},
        }),
    ];
    let mut ids = Vec::new();
    for b in bodies {
        ids.push(create(&api, b).await);
    }
    let (_, feed) = api.post("/v1/feeds", json!({})).await;
    let to = now + chrono::Duration::days(365);
    let mut want = BTreeMap::new();
    for id in &ids {
        want.insert(format!("{id}@sgsched"), planned_until(&api, id, to).await);
    }
    let got = fetch(&api, feed["url"].as_str().unwrap(), None).await;
    assert_eq!(got.status, 200);
    let from = now - chrono::Duration::seconds(1);
    let (events, raw) = python_expand(&got.body, from, to);
    assert_eq!(raw["vtimezone_mismatches"], json!([]), "{raw}");
    assert_eq!(
        raw["zones"],
        json!([
            "America/New_York",
            "America/Santiago",
            "Australia/Lord_Howe",
            "Europe/Berlin"
        ])
    );
    for (uid, planned) in &want {
        assert!(
            planned.len() >= 5 || uid.starts_with(&ids[5]),
            "{uid}: {planned:?}"
        );
        let seen = events.get(uid).cloned().unwrap_or_default();
        if &seen != planned {
            let only_feed: Vec<&String> = seen.iter().filter(|t| !planned.contains(t)).collect();
            let only_next: Vec<&String> = planned.iter().filter(|t| !seen.contains(t)).collect();
            let text = unfolded(&got.body);
            let event = text
                .split("BEGIN:VEVENT")
                .find(|e| e.contains(uid.as_str()))
                .unwrap_or("");
            panic!(
                "{uid}: only in the feed as Python reads it {only_feed:?}, only in /next {only_next:?}\n{event}"
            );
        }
    }
    assert_eq!(
        want.get(&format!("{}@sgsched", ids[4])).map(Vec::len),
        Some(5)
    );
    // The fold's two instants and the gap's missing run, as the reader sees them.
    let both = &events[&format!("{}@sgsched", ids[6])];
    let fold = format!("{next}-11-07T0");
    let on_fold: Vec<&String> = both.iter().filter(|t| t.starts_with(&fold)).collect();
    assert_eq!(
        on_fold,
        [
            &format!("{next}-11-07T05:30:00Z"),
            &format!("{next}-11-07T06:30:00Z")
        ]
    );
    let skip = &events[&format!("{}@sgsched", ids[7])];
    assert!(
        !skip.iter().any(|t| t.starts_with(&format!("{next}-03-28"))),
        "{skip:?}"
    );
    assert!(
        skip.contains(&format!("{next}-03-27T01:30:00Z"))
            && skip.contains(&format!("{next}-03-29T00:30:00Z"))
    );
    // `last` in Berlin's October fold: 02:30 CET, the second instant.
    assert!(
        skip.contains(&format!("{next}-10-31T01:30:00Z")),
        "{skip:?}"
    );
}
