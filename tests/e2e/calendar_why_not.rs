//! Why not, in the calendar: a rule's occurrences removed by an exception date, a holiday or
//! a reschedule are listed (status `removed`, with the reason and where the run went) on
//! their local day, and never counted as runs; across Berlin's spring DST change.

use crate::common;

use common::{export_config, start_with_user};
use serde_json::{Value, json};

/// Each listed item of `day` as (at, at_local, status, reason, moved_to).
fn items(day: &Value) -> Vec<(String, String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    day["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                s(&e["at"]),
                s(&e["at_local"]),
                s(&e["status"]),
                s(&e["removed"]["reason"]),
                s(&e["removed"]["moved_to"]),
            )
        })
        .collect()
}

fn row(
    at: &str,
    local: &str,
    status: &str,
    reason: &str,
    to: &str,
) -> (String, String, String, String, String) {
    (
        at.into(),
        local.into(),
        status.into(),
        reason.into(),
        to.into(),
    )
}

#[tokio::test]
async fn removed_occurrences_are_listed_with_why_and_not_counted() {
    let (_d, _server, api) = start_with_user();
    // Good Friday (26 March 2027) and Easter Monday (29 March) are German holidays; Berlin
    // moves to CEST on 28 March: 10:00 is 09:00Z before, 08:00Z after.
    api.create(&json!({
        "name": "Morning cut", "job_type": "export", "job_config": export_config(),
        "schedule_type": "recurring", "timezone": "Europe/Berlin",
        "recurrence_rule": {"frequency": "daily", "time_of_day": "10:00", "start_date": "2027-03-25",
            "exceptions": ["2027-03-27",
                           {"holiday_calendar": "DE", "action": "skip"},
                           {"date": "2027-03-30", "action": "reschedule", "to": "2027-03-30T16:00"}]}
    }))
    .await;
    let cal = api
        .get("/v1/schedules/calendar?start_date=2027-03-25&end_date=2027-03-31&timezone=Europe/Berlin&group_by=day")
        .await
        .expect(200);
    let days = cal["days"].as_array().unwrap();
    let counts: Vec<u64> = days
        .iter()
        .map(|d| d["total_count"].as_u64().unwrap())
        .collect();
    assert_eq!(
        counts,
        [1, 0, 0, 1, 0, 1, 1],
        "removed occurrences are not runs: {cal}"
    );
    assert_eq!(cal["total_executions"], 4);
    let listed: Vec<_> = days.iter().flat_map(items).collect();
    assert_eq!(
        listed,
        [
            row(
                "2027-03-25T09:00:00Z",
                "2027-03-25T10:00:00+01:00",
                "planned",
                "",
                ""
            ),
            row(
                "2027-03-26T09:00:00Z",
                "2027-03-26T10:00:00+01:00",
                "removed",
                "holiday",
                ""
            ),
            row(
                "2027-03-27T09:00:00Z",
                "2027-03-27T10:00:00+01:00",
                "removed",
                "exception_date",
                ""
            ),
            row(
                "2027-03-28T08:00:00Z",
                "2027-03-28T10:00:00+02:00",
                "planned",
                "",
                ""
            ),
            row(
                "2027-03-29T08:00:00Z",
                "2027-03-29T10:00:00+02:00",
                "removed",
                "holiday",
                ""
            ),
            row(
                "2027-03-30T08:00:00Z",
                "2027-03-30T10:00:00+02:00",
                "removed",
                "rescheduled",
                "2027-03-30T14:00:00Z"
            ),
            row(
                "2027-03-30T14:00:00Z",
                "2027-03-30T16:00:00+02:00",
                "planned",
                "",
                ""
            ),
            row(
                "2027-03-31T08:00:00Z",
                "2027-03-31T10:00:00+02:00",
                "planned",
                "",
                ""
            ),
        ]
    );
    let holiday = &days[1]["executions"][0]["removed"];
    assert_eq!(holiday["calendar"], "DE", "{holiday}");
    let moved = &days[5]["executions"][0]["removed"];
    assert_eq!(
        moved["moved_to_local"], "2027-03-30T16:00:00+02:00",
        "{moved}"
    );
    // The month view counts runs only.
    let month = api
        .get("/v1/schedules/calendar?start_date=2027-03-25&end_date=2027-03-31&timezone=Europe/Berlin&group_by=month")
        .await
        .expect(200);
    assert_eq!(month["total_executions"], 4);
}
