//! Why-not: the occurrences a rule's exceptions remove or move are listed with the reason,
//! exactly those the applied stream leaves out, across a DST change.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sgsched_recurrence::recurrence::{HolidayCalendars, Recurrence, Removal, parse_rule};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn removed_occurrences_come_with_their_reason_and_are_exactly_those_not_run() {
    let rule = parse_rule(
        &json!({"frequency": "daily", "time_of_day": "09:00", "start_date": "2027-03-08",
                "exceptions": ["2027-03-10",
                               {"date": "2027-03-12", "action": "reschedule", "to": "2027-03-12T15:00"},
                               {"holiday_calendar": "studio", "action": "skip"},
                               {"holiday_calendar": "office", "action": "next_business_day"}]}),
        "",
    )
    .expect("valid");
    let calendars = HolidayCalendars::builtin()
        .with("studio", [date("2027-03-15")])
        .with("office", [date("2027-03-16")]);
    // New York moves to EDT on 14 March 2027: 09:00 is 14:00Z before, 13:00Z after.
    let r = Recurrence::new(&rule, chrono_tz::America::New_York, &calendars).unwrap();
    let (from, to) = (utc("2027-03-08T00:00:00Z"), utc("2027-03-20T00:00:00Z"));
    let removed: Vec<(DateTime<Utc>, Removal)> = r
        .removed_between(from, to, 100)
        .into_iter()
        .map(|x| (x.occurrence.at, x.why))
        .collect();
    assert_eq!(
        removed,
        [
            (utc("2027-03-10T14:00:00Z"), Removal::ExceptionDate),
            (
                utc("2027-03-12T14:00:00Z"),
                Removal::Rescheduled {
                    to: utc("2027-03-12T20:00:00Z")
                }
            ),
            (
                utc("2027-03-15T13:00:00Z"),
                Removal::Holiday {
                    calendar: "studio".into()
                }
            ),
            (
                utc("2027-03-16T13:00:00Z"),
                Removal::MovedForHoliday {
                    calendar: "office".into(),
                    to: utc("2027-03-17T13:00:00Z")
                }
            ),
        ]
    );
    let runs: Vec<DateTime<Utc>> = r.between(from, to, 100).iter().map(|o| o.at).collect();
    let expected: Vec<DateTime<Utc>> = [
        "2027-03-08T14:00:00Z",
        "2027-03-09T14:00:00Z",
        "2027-03-11T14:00:00Z",
        "2027-03-12T20:00:00Z",
        "2027-03-13T14:00:00Z",
        "2027-03-14T13:00:00Z",
        "2027-03-17T13:00:00Z",
        "2027-03-18T13:00:00Z",
        "2027-03-19T13:00:00Z",
    ]
    .iter()
    .map(|s| utc(s))
    .collect();
    assert_eq!(
        runs, expected,
        "the runs are the rule's less the removed, plus where they went"
    );
    // Within a window and a limit, and none for a rule without exceptions.
    assert_eq!(
        r.removed_between(utc("2027-03-11T00:00:00Z"), to, 1)[0]
            .occurrence
            .at,
        utc("2027-03-12T14:00:00Z")
    );
    let plain = parse_rule(
        &json!({"frequency": "daily", "time_of_day": "09:00", "start_date": "2027-03-08"}),
        "",
    )
    .unwrap();
    let plain = Recurrence::new(&plain, chrono_tz::America::New_York, &calendars).unwrap();
    assert!(plain.removed_between(from, to, 100).is_empty());
}
