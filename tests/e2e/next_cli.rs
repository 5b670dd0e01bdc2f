//! `sgsched next`: the next occurrences of a JSON rule or RRULE text, one line each (UTC, then
//! local time with its offset), and every input error on stderr with exit code 2.

use crate::common;

use std::process::Command;

fn next(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::binary())
        .arg("next")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn json_rule_across_the_new_york_spring_gap() {
    let (code, out, err) = next(&[
        "--rule",
        r#"{"frequency":"daily","time_of_day":"02:30","start_date":"2026-03-01"}"#,
        "--tz",
        "America/New_York",
        "--after",
        "2026-03-07T12:00:00Z",
        "-n",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    // 02:30 does not exist on 8 March 2026: it runs at 03:30 EDT, shifted by the gap.
    assert_eq!(
        out,
        "2026-03-08T07:30:00Z 2026-03-08T03:30:00-04:00\n\
         2026-03-09T06:30:00Z 2026-03-09T02:30:00-04:00\n\
         2026-03-10T06:30:00Z 2026-03-10T02:30:00-04:00\n"
    );
}

#[test]
fn rrule_text_with_dtstart_and_tzid() {
    let (code, out, err) = next(&[
        "--rule",
        "DTSTART;TZID=Europe/Berlin:20261102T180000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE",
        "--after",
        "2026-11-27T00:00:00Z",
        "-n",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "2026-11-30T17:00:00Z 2026-11-30T18:00:00+01:00\n\
         2026-12-02T17:00:00Z 2026-12-02T18:00:00+01:00\n\
         2026-12-07T17:00:00Z 2026-12-07T18:00:00+01:00\n"
    );
}

#[test]
fn strictly_after_the_instant() {
    let (code, out, _) = next(&[
        "--rule",
        r#"{"frequency":"daily","time_of_day":"09:00","start_date":"2026-01-01"}"#,
        "--tz",
        "UTC",
        "--after",
        "2026-06-01T09:00:00Z",
        "-n",
        "1",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, "2026-06-02T09:00:00Z 2026-06-02T09:00:00+00:00\n");
}

#[test]
fn every_error_is_reported_with_exit_code_2() {
    let (code, out, err) = next(&[
        "--rule",
        r#"{"frequency":"fortnightly","interval":0,"time_of_day":"25:00"}"#,
        "--tz",
        "Europe/Berln",
        "--after",
        "yesterday",
    ]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(err.contains("--after"), "{err}");
    assert!(
        err.contains("--tz: unknown timezone \"Europe/Berln\"; did you mean Europe/Berlin"),
        "{err}"
    );
    assert!(err.contains("frequency"), "{err}");
    assert!(err.contains("interval"), "{err}");
    assert!(err.contains("time_of_day"), "{err}");

    let (code, _, err) = next(&["--rule", "FREQ=DAILY;BYDAY=XX", "--tz", "UTC"]);
    assert_eq!(code, 2);
    assert!(err.contains("BYDAY"), "{err}");
}
