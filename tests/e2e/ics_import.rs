//! `.ics` import through the real binary: one schedule per `VEVENT`, all or none, each
//! keeping its zone, rule and exceptions, compared with the file's own expansion by an
//! independent implementation; events sgsched cannot represent and hostile files are clear
//! 4xx answers that create nothing. And `sgsched next` reading a whole `VEVENT`.

use std::process::Command;

use chrono::Utc;
use serde_json::{Value, json};

use super::calendar_feeds::{planned_until, python_expand};
use crate::common::api::Api;
use crate::common::export_config;

const USER: &str = "0193a1b2-0000-7000-8000-00000000fe11";

fn import_body(calendar: &str) -> Value {
    json!({"job_type": "export", "job_config": export_config(), "calendar": calendar, "priority": "high"})
}

async fn schedule_count(api: &Api) -> usize {
    let (status, list) = api.get("/v1/schedules").await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().map_or(0, Vec::len)
}

fn calendar(year: i32) -> String {
    let next = year + 1;
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example//Export//EN",
        "BEGIN:VTIMEZONE",
        "TZID:America/New_York",
        "BEGIN:STANDARD",
        "DTSTART:19701101T020000",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0500",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "UID:ny@example.com",
        "SUMMARY:Edit day\\, New York",
        &format!("DTSTART;TZID=America/New_York:{year}1207T093000"),
        &format!("DTEND;TZID=America/New_York:{year}1207T103000"),
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TH",
        &format!("EXDATE;TZID=America/New_York:{next}0111T093000"),
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-PT15M",
        "END:VALARM",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:berlin@example.com",
        "SUMMARY:Morning render",
        &format!("DTSTART;TZID=Europe/Berlin:{year}1201T070000"),
        "RRULE:FREQ=DAILY;COUNT=400",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:lordhowe@example.com",
        "SUMMARY:Captions",
        &format!("DTSTART;TZID=Australia/Lord_Howe:{year}1201T021500"),
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=1,-1",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:santiago@example.com",
        "SUMMARY:Fortnightly late cut",
        &format!("DTSTART;TZID=America/Santiago:{year}1205T233000"),
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:union@example.com",
        "SUMMARY:Mondays and the 15th",
        &format!("DTSTART;TZID=Europe/Berlin:{year}1207T180000"),
        "RRULE:FREQ=WEEKLY;BYDAY=MO",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=15",
        &format!("RDATE;TZID=Europe/Berlin:{next}0320T120000,{next}0321T120000"),
        &format!("EXDATE:{next}0315T170000Z"),
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:weekno@example.com",
        "SUMMARY:Week 20",
        // On the rule: RFC 5545 leaves a DTSTART off the rule undefined (Python counts it).
        &format!("DTSTART;TZID=America/New_York:{next}0518T080000"),
        "RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=TU,TH",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:hourly@example.com",
        "SUMMARY:Every six hours",
        &format!("DTSTART;TZID=Europe/Berlin:{year}1208T000600"),
        "RRULE:FREQ=HOURLY;INTERVAL=6;BYMINUTE=6,18;COUNT=40",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:launch@example.com",
        "SUMMARY:Launch",
        &format!("DTSTART:{next}0301T150000Z"),
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    .join("\r\n")
}

#[tokio::test]
async fn an_ics_file_becomes_one_schedule_per_event_running_as_the_file_says() {
    let (_dir, api) = Api::start(USER, &[]);
    let now = Utc::now();
    let year: i32 = now.format("%Y").to_string().parse().unwrap();
    let text = calendar(year);
    let (status, imported) = api.post("/v1/schedules/import", import_body(&text)).await;
    assert_eq!(status, 201, "{imported}");
    let schedules = imported["schedules"].as_array().unwrap();
    let got: Vec<(&str, &str, &str, &str)> = schedules
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["timezone"].as_str().unwrap(),
                s["schedule_type"].as_str().unwrap(),
                s["priority"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Edit day, New York",
                "America/New_York",
                "recurring",
                "high"
            ),
            ("Morning render", "Europe/Berlin", "recurring", "high"),
            ("Captions", "Australia/Lord_Howe", "recurring", "high"),
            (
                "Fortnightly late cut",
                "America/Santiago",
                "recurring",
                "high"
            ),
            ("Mondays and the 15th", "Europe/Berlin", "recurring", "high"),
            ("Week 20", "America/New_York", "recurring", "high"),
            ("Every six hours", "Europe/Berlin", "recurring", "high"),
            ("Launch", "UTC", "once", "high"),
        ]
    );
    assert_eq!(
        schedules[0]["recurrence_rule"]["exceptions"],
        json!([{"at": format!("{}-01-11T09:30", year + 1), "action": "skip"}])
    );
    if !super::calendar_feeds::python_ical_available() {
        return;
    }
    let to = now + chrono::Duration::days(365);
    let (events, _) = python_expand(&text, now - chrono::Duration::seconds(1), to);
    let uids = [
        "ny", "berlin", "lordhowe", "santiago", "union", "weekno", "hourly", "launch",
    ];
    for (s, uid) in schedules.iter().zip(uids) {
        let planned = planned_until(&api, s["schedule_id"].as_str().unwrap(), to).await;
        let want = events
            .get(&format!("{uid}@example.com"))
            .cloned()
            .unwrap_or_default();
        assert!(!planned.is_empty(), "{uid}");
        assert_eq!(
            planned, want,
            "{uid}: /next vs the file as Python expands it"
        );
    }
}

#[tokio::test]
async fn events_it_cannot_represent_and_hostile_files_are_refused_and_create_nothing() {
    let (_dir, api) = Api::start(USER, &[]);
    let year: i32 = Utc::now().format("%Y").to_string().parse().unwrap();
    let good = calendar(year);
    let with = |extra: &str| good.replace("END:VCALENDAR", &format!("{extra}\r\nEND:VCALENDAR"));
    // Each is a 422 naming the field and saying why.
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            with(
                "BEGIN:VEVENT\r\nUID:moved@example.com\r\nRECURRENCE-ID;TZID=America/New_York:20270104T093000\r\nDTSTART;TZID=America/New_York:20270105T093000\r\nEND:VEVENT",
            ),
            vec![(
                "calendar.events[8].RECURRENCE-ID",
                "UID moved@example.com: RECURRENCE-ID: a changed instance",
            )],
        ),
        (
            with(
                "BEGIN:VEVENT\r\nUID:mars@example.com\r\nDTSTART;TZID=Mars/Olympus_Mons:20270105T093000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT",
            ),
            vec![(
                "calendar.events[8].DTSTART",
                "UID mars@example.com: DTSTART: unknown timezone \"Mars/Olympus_Mons\"",
            )],
        ),
        (
            with(
                "BEGIN:VEVENT\r\nUID:sec@example.com\r\nDTSTART;TZID=Europe/Berlin:20270105T093000\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT",
            ),
            vec![(
                "calendar.events[8].FREQ",
                "UID sec@example.com: FREQ: SECONDLY",
            )],
        ),
        (
            with("BEGIN:VEVENT\r\nUID:float@example.com\r\nDTSTART:20270105T093000\r\nEND:VEVENT"),
            vec![(
                "calendar.events[8].DTSTART",
                "UID float@example.com: DTSTART: a time without a zone",
            )],
        ),
        (
            with("BEGIN:VEVENT\r\nUID:past@example.com\r\nDTSTART:20200105T093000Z\r\nEND:VEVENT"),
            vec![("calendar.events[8].scheduled_at", "UID past@example.com: ")],
        ),
        (
            good.replace("END:VCALENDAR\r\n", ""),
            vec![("calendar", "BEGIN:VCALENDAR is never ended")],
        ),
        (
            good.replace(
                "UID:ny@example.com",
                &format!("X-HUGE:{}", "x".repeat(70_000)),
            ),
            vec![("calendar", "line longer than 65536 octets")],
        ),
        (
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
            vec![("calendar", "has no VEVENT")],
        ),
    ];
    for (text, want) in cases {
        let (status, problem) = api.post("/v1/schedules/import", import_body(&text)).await;
        assert_eq!(status, 422, "{problem}");
        let errors = problem["errors"].as_array().unwrap();
        for (field, message) in want {
            assert!(
                errors.iter().any(
                    |e| e["field"] == field && e["message"].as_str().unwrap().contains(message)
                ),
                "no {field}: {message:?} in {problem}"
            );
        }
        assert_eq!(
            schedule_count(&api).await,
            0,
            "a refused import created something"
        );
    }
    // 100,000 RDATEs: over the body limit long before the rule's own bound.
    let rdates: Vec<String> = (0..100_000)
        .map(|i| format!("2027{:02}{:02}T120000Z", 1 + i % 12, 1 + i % 28))
        .collect();
    let huge = with(&format!(
        "BEGIN:VEVENT\r\nUID:many@example.com\r\nDTSTART;TZID=Europe/Berlin:20270105T093000\r\nRDATE:{}\r\nEND:VEVENT",
        rdates.join(",")
    ));
    let (status, problem) = api.post("/v1/schedules/import", import_body(&huge)).await;
    assert_eq!(status, 413, "{problem}");
    // Missing fields are all named at once.
    let (status, problem) = api
        .post(
            "/v1/schedules/import",
            json!({"calendar": 5, "color": "red"}),
        )
        .await;
    assert_eq!(status, 422);
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["calendar", "color", "job_config", "job_type"],
        "{problem}"
    );
    assert_eq!(schedule_count(&api).await, 0);
}

#[test]
fn next_reads_a_whole_vevent() {
    let vevent = "BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Nightly\r\n\
        DTSTART;TZID=America/New_York:20260306T023000\r\nRRULE:FREQ=DAILY;COUNT=4\r\n\
        EXDATE;TZID=America/New_York:20260307T023000\r\nEND:VEVENT\r\n";
    let out = Command::new(crate::common::binary())
        .args([
            "next",
            "--rule",
            vevent,
            "--after",
            "2026-03-01T00:00:00Z",
            "-n",
            "10",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "2026-03-06T07:30:00Z 2026-03-06T02:30:00-05:00\n\
         2026-03-08T07:30:00Z 2026-03-08T03:30:00-04:00\n\
         2026-03-09T06:30:00Z 2026-03-09T02:30:00-04:00\n"
    );
    let once = "BEGIN:VEVENT\nDTSTART:20300101T090000Z\nEND:VEVENT";
    let out = Command::new(crate::common::binary())
        .args(["next", "--rule", once, "--after", "2026-03-01T00:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "2030-01-01T09:00:00Z 2030-01-01T09:00:00+00:00\n"
    );
    let two = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20300101T090000Z\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART:20300101T090000Z\nEND:VEVENT\nEND:VCALENDAR";
    let out = Command::new(crate::common::binary())
        .args(["next", "--rule", two])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: --rule: expected one VEVENT, found 2\n"
    );
}
