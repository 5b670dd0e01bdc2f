//! iCalendar documents: folding and reading back, hostile text, VTIMEZONE transitions, events.

use chrono::{DateTime, TimeZone, Utc};
use sgsched_recurrence::ical::{
    EventTiming, FOLD_AT, IcsWriter, observances, parse_document, read_events, unescape_text,
};
use sgsched_recurrence::recurrence::Frequency;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn lines_fold_at_75_octets_without_splitting_a_character_and_read_back() {
    let mut w = IcsWriter::new();
    w.begin("VCALENDAR");
    let summary = "Épisode 12 — «Berlin bei Nacht», ein sehr langer Titel; mit Komma, Semikolon und \\ 🎬🎬🎬🎬🎬 Ende";
    w.text("SUMMARY", summary);
    w.text("DESCRIPTION", "line one\nline two\r\nline three");
    w.end("VCALENDAR");
    let text = w.finish();
    assert!(text.ends_with("\r\n"));
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines.iter().all(|l| l.len() <= FOLD_AT), "{lines:#?}");
    assert!(lines.iter().filter(|l| l.starts_with(" ")).count() >= 1);
    let doc = parse_document(&text).unwrap();
    assert_eq!(doc.name, "VCALENDAR");
    assert_eq!(
        unescape_text(&doc.property("SUMMARY").unwrap().value),
        summary
    );
    assert_eq!(
        unescape_text(&doc.property("DESCRIPTION").unwrap().value),
        "line one\nline two\nline three"
    );
}

#[test]
fn hostile_documents_are_errors_naming_the_line() {
    let cases = [
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101T000000Z\n",
            "line 2: BEGIN:VEVENT is never ended (no END:VEVENT)",
        ),
        (
            "BEGIN:VCALENDAR\nEND:VEVENT\n",
            "line 2: END:VEVENT closes BEGIN:VCALENDAR (line 1), which is still open",
        ),
        ("END:VCALENDAR\n", "line 1: END:VCALENDAR without a BEGIN"),
        ("SUMMARY:x\n", "line 1: SUMMARY outside any component"),
        (
            " folded\n",
            "line 1: a continuation line with nothing before it",
        ),
        (
            "BEGIN:VCALENDAR\nX;Y\nEND:VCALENDAR\n",
            "line 2: X: expected PARAM=value",
        ),
        (
            "BEGIN:VCALENDAR\nDTSTART;TZID=\"Europe/Berlin:20260101T000000\nEND:VCALENDAR\n",
            "line 2: DTSTART: unterminated quoted TZID",
        ),
        (
            "BEGIN:VCALENDAR\nEND:VCALENDAR\nBEGIN:VCALENDAR\n",
            "line 3: text after the end of the calendar",
        ),
        ("", "line 1: no BEGIN:VCALENDAR or BEGIN:VEVENT"),
        (
            "BEGIN:A\nBEGIN:B\nBEGIN:C\nBEGIN:D\nBEGIN:E\n",
            "line 5: components nested deeper than 4",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            parse_document(text).unwrap_err().to_string(),
            want,
            "{text:?}"
        );
    }
    let huge = format!(
        "BEGIN:VCALENDAR\nX-A:{}\nEND:VCALENDAR\n",
        "a".repeat(70_000)
    );
    assert_eq!(
        parse_document(&huge).unwrap_err().to_string(),
        "line 2: line longer than 65536 octets"
    );
    let folded_huge = format!(
        "BEGIN:VCALENDAR\nX-A:a\n{}END:VCALENDAR\n",
        format!(" {}\n", "b".repeat(70)).repeat(1000)
    );
    assert!(
        parse_document(&folded_huge)
            .unwrap_err()
            .to_string()
            .ends_with("line longer than 65536 octets")
    );
    let many = format!(
        "BEGIN:VCALENDAR\n{}END:VCALENDAR\n",
        "BEGIN:VEVENT\nEND:VEVENT\n".repeat(6000)
    );
    assert_eq!(
        parse_document(&many).unwrap_err().to_string(),
        "line 10000: more than 5000 components"
    );
}

#[test]
fn quoted_parameters_keep_their_delimiters() {
    let doc = parse_document(
        "BEGIN:VEVENT\nATTENDEE;CN=\"Doe, Jane; PhD\";ROLE=CHAIR:mailto:j@x\nEND:VEVENT",
    )
    .unwrap();
    let p = doc.property("ATTENDEE").unwrap();
    assert_eq!(p.param("CN"), Some("Doe, Jane; PhD"));
    assert_eq!(p.param("ROLE"), Some("CHAIR"));
    assert_eq!(p.value, "mailto:j@x");
}

#[test]
fn observances_are_the_zones_transitions() {
    let berlin = chrono_tz::Europe::Berlin;
    let got = observances(
        &berlin,
        utc("2026-01-01T00:00:00Z"),
        utc("2027-01-01T00:00:00Z"),
    );
    let summary: Vec<(String, i32, i32, bool, &str)> = got
        .iter()
        .map(|o| {
            (
                o.at.to_rfc3339(),
                o.offset_from,
                o.offset,
                o.daylight,
                o.abbr.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("2026-01-01T00:00:00+00:00".into(), 3600, 3600, false, "CET"),
            ("2026-03-29T01:00:00+00:00".into(), 3600, 7200, true, "CEST"),
            ("2026-10-25T01:00:00+00:00".into(), 7200, 3600, false, "CET"),
        ]
    );
    let lord_howe = chrono_tz::Australia::Lord_Howe;
    let got = observances(
        &lord_howe,
        utc("2026-01-01T00:00:00Z"),
        utc("2027-01-01T00:00:00Z"),
    );
    let summary: Vec<(String, i32, i32)> = got
        .iter()
        .map(|o| (o.at.to_rfc3339(), o.offset_from, o.offset))
        .collect();
    // 02:00 local +11:00 -> 01:30 +10:30 in April; 02:00 +10:30 -> 02:30 +11:00 in October.
    assert_eq!(
        summary,
        vec![
            ("2026-01-01T00:00:00+00:00".into(), 39600, 39600),
            ("2026-04-04T15:00:00+00:00".into(), 39600, 37800),
            ("2026-10-03T15:30:00+00:00".into(), 37800, 39600),
        ]
    );
}

#[test]
fn events_read_as_once_or_recurring_with_their_zone() {
    let cal = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\
        BEGIN:VEVENT\r\nUID:a@x\r\nSUMMARY:Weekly\\, Monday\r\nDTSTART;TZID=America/New_York:20260105T090000\r\n\
        RRULE:FREQ=WEEKLY;BYDAY=MO\r\nDTEND;TZID=America/New_York:20260105T100000\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:b@x\r\nSUMMARY:Launch\r\nDTSTART:20260301T120000Z\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:c@x\r\nDTSTART:20260301T120000\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:d@x\r\nDTSTART;TZID=Mars/Olympus:20260301T120000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:e@x\r\nDTSTART;TZID=Europe/Berlin:20260301T120000\r\nRRULE:FREQ=DAILY\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260302T120000\r\nEND:VEVENT\r\n\
        END:VCALENDAR\r\n";
    let events = read_events(cal, None).unwrap();
    assert_eq!(events.len(), 5);
    let a = events[0].as_ref().unwrap();
    assert_eq!(a.uid.as_deref(), Some("a@x"));
    assert_eq!(a.summary.as_deref(), Some("Weekly, Monday"));
    let EventTiming::Recurring { rule, tz } = &a.timing else {
        panic!("{a:?}")
    };
    assert_eq!(*tz, chrono_tz::America::New_York);
    assert_eq!(rule.frequency, Frequency::Weekly);
    assert_eq!(rule.start_date, Some("2026-01-05".parse().unwrap()));
    assert_eq!(rule.time_of_day.to_string(), "09:00");
    let b = events[1].as_ref().unwrap();
    assert_eq!(
        b.timing,
        EventTiming::Once {
            at: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
            tz: chrono_tz::UTC
        }
    );
    assert_eq!(
        events[2].as_ref().unwrap_err().to_string(),
        "UID c@x: DTSTART: a time without a zone (floating); give `timezone` to say where it is"
    );
    let d = events[3].as_ref().unwrap_err();
    assert_eq!(
        (d.uid.as_deref(), d.property.as_str()),
        (Some("d@x"), "DTSTART")
    );
    assert!(
        d.message.contains("unknown timezone \"Mars/Olympus\""),
        "{d}"
    );
    assert_eq!(events[4].as_ref().unwrap_err().property, "RECURRENCE-ID");
    // The floating one, given a zone.
    let with_zone = read_events(cal, Some(chrono_tz::Europe::Berlin)).unwrap();
    assert_eq!(
        with_zone[2].as_ref().unwrap().timing,
        EventTiming::Once {
            at: Utc.with_ymd_and_hms(2026, 3, 1, 11, 0, 0).unwrap(),
            tz: chrono_tz::Europe::Berlin
        }
    );
}

proptest::proptest! {
    #[test]
    fn any_text_written_as_a_property_reads_back(text in "\\PC{0,300}|[\\s\\S]{0,200}") {
        let mut w = IcsWriter::new();
        w.begin("VEVENT");
        w.text("DESCRIPTION", &text);
        w.end("VEVENT");
        let written = w.finish();
        proptest::prop_assert!(written.split("\r\n").all(|l| l.len() <= FOLD_AT));
        let doc = parse_document(&written).unwrap();
        let kept: String = text
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .chars()
            .filter(|c| *c == '\n' || !c.is_control())
            .collect();
        proptest::prop_assert_eq!(unescape_text(&doc.property("DESCRIPTION").unwrap().value), kept);
    }
}
