//! Inputs found by the fuzz targets under `fuzz/` (or by looking where they pointed), kept
//! as plain tests so `cargo test --workspace` runs them without nightly.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;
use sgsched_recurrence::fields::parse_instant;
use sgsched_recurrence::recurrence::{
    Frequency, HolidayCalendars, Recurrence, parse_rrule, parse_rule,
};
use sgsched_recurrence::timezone::{parse_timezone, resolve_local};

fn rule_from(frequency: Frequency, start: &str) -> Recurrence {
    let rule = parse_rule(
        &json!({"frequency": frequency.as_str(), "time_of_day": "23:59", "start_date": start}),
        "",
    )
    .expect("valid rule");
    Recurrence::new(&rule, chrono_tz::Asia::Tokyo, &HolidayCalendars::builtin()).expect("compiles")
}

/// `iter_from(DateTime::MIN_UTC)` stepped a day back from the first date chrono has
/// (`NaiveDate - Days` out of range); a weekly rule then also looked for the week's Monday.
#[test]
fn asking_from_the_ends_of_time_neither_panics_nor_spins() {
    for frequency in Frequency::ALL {
        for start in ["0000-01-01", "2026-03-08", "9999-12-31"] {
            let rec = rule_from(frequency, start);
            assert_eq!(rec.iter_from(DateTime::<Utc>::MIN_UTC).take(3).count(), 3);
            assert_eq!(rec.iter_from(DateTime::<Utc>::MAX_UTC).take(3).count(), 0);
            let _ = rec.between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, 2);
        }
    }
}

/// A local time hours from the end of chrono's range has no UTC instant: `utc_of`
/// overflowed (`NaiveDateTime - TimeDelta` overflowed).
#[test]
fn local_times_at_the_ends_of_chronos_range_resolve_without_panicking() {
    let (at, _) = resolve_local(&chrono_tz::America::New_York, NaiveDateTime::MAX);
    assert_eq!(at, DateTime::<Utc>::MAX_UTC);
    let (at, _) = resolve_local(&chrono_tz::Asia::Tokyo, NaiveDateTime::MIN);
    assert_eq!(at, DateTime::<Utc>::MIN_UTC);
}

/// `"scheduled_at": "+262142-12-31T23:59"` with `"timezone": "America/New_York"` reached the
/// overflow above from a request body; instants now have four-digit years as in RFC 3339.
#[test]
fn instants_with_years_beyond_four_digits_are_refused() {
    let ny = chrono_tz::America::New_York;
    assert_eq!(parse_instant("+262142-12-31T23:59", ny), None);
    assert_eq!(
        parse_instant("-262143-01-01T00:00:00", chrono_tz::Asia::Tokyo),
        None
    );
    assert_eq!(parse_instant("+10000-01-01T00:00", ny), None);
    assert!(parse_instant("9999-12-31T23:59", ny).is_some());
    assert!(parse_instant("2026-03-08T02:30", ny).is_some());
}

/// Rule dates at chrono's ends made the engine's date arithmetic run off its range and
/// could not be written back as RRULE text (YYYYMMDD).
#[test]
fn rule_dates_beyond_four_digit_years_are_refused_with_their_field() {
    let errors = parse_rule(
        &json!({
            "frequency": "weekly",
            "time_of_day": "09:00",
            "start_date": "+262142-12-01",
            "end_date": "+262142-12-31",
            "exceptions": [
                "+12345-01-01",
                {"date": "-00001-01-01", "action": "reschedule", "to": "+10000-01-01T10:00"}
            ]
        }),
        "recurrence_rule",
    )
    .expect_err("out of range");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "recurrence_rule.start_date",
            "recurrence_rule.end_date",
            "recurrence_rule.exceptions[0]",
            "recurrence_rule.exceptions[1].date",
            "recurrence_rule.exceptions[1].to",
        ]
    );
    assert!(parse_rule(&json!({"frequency": "daily", "time_of_day": "00:00", "start_date": "0000-01-01", "end_date": "9999-12-31"}), "").is_ok());
    let err = parse_rrule("DTSTART:+1234501T090000\nRRULE:FREQ=DAILY");
    assert!(err.is_err());
}

/// Suggestions for an unknown zone scored every IANA name against the whole input: a
/// megabyte-long "timezone" in a body cost seconds of CPU. Long names get no suggestions.
#[test]
fn a_huge_timezone_name_is_refused_without_scoring_it() {
    let started = std::time::Instant::now();
    let err = parse_timezone(&"Europe/Berlinx".repeat(50_000)).expect_err("unknown");
    assert!(err.suggestions.is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    let err = parse_timezone("Europe/Berln").expect_err("unknown");
    assert_eq!(
        err.suggestions.first().map(String::as_str),
        Some("Europe/Berlin")
    );
}

/// The end of 9999-12-31 in New York is in year 10000 UTC, which `UNTIL=…Z` cannot write:
/// the RRULE text did not parse back.
#[test]
fn an_end_date_on_the_last_four_digit_day_survives_rrule_text() {
    let rule = parse_rule(
        &json!({"frequency": "weekly", "time_of_day": "23:59", "start_date": "9999-12-20", "end_date": "9999-12-31"}),
        "",
    )
    .expect("valid");
    for tz in [
        chrono_tz::America::New_York,
        chrono_tz::Asia::Tokyo,
        chrono_tz::UTC,
    ] {
        let text = sgsched_recurrence::recurrence::to_rrule(&rule, tz);
        let (again, _) = parse_rrule(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(again, rule, "{text}");
    }
}

/// rrule_parse: a reschedule target with seconds was accepted, and written back without them,
/// so the rule changed through its own text. Seconds are refused there now, as in DTSTART.
#[test]
fn a_reschedule_target_with_seconds_is_refused() {
    let text = "DTSTART;TZID=America/Santiago:20260906T000000\n\
                RRULE:FREQ=WEEKLY;INTERVAL=3;WKST=SU;BYDAY=SU,MO\n\
                X-SGSCHED-RESCHEDULE:20260913=20260914T100008\n\
                X-SGSCHED-HOLIDAYS:US=NEXT-BUSINESS-DAY";
    let e = parse_rrule(text).expect_err("seconds");
    assert_eq!(e.part, "X-SGSCHED-RESCHEDULE");
    assert!(parse_rrule(&text.replace("T100008", "T100000")).is_ok());
}
