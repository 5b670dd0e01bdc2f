//! rrule_parse: any text into the RRULE parser, any JSON into the rule parser. Neither may
//! panic; a rule either one accepts must come back equal through rule -> RRULE text -> rule
//! (and JSON -> rule -> JSON -> rule), and both copies must give the same occurrences, in
//! strictly increasing order. An accepted rule stays within the bounds on extra dates and
//! further RRULEs, and has words (`describe`). The seeds and `dicts/rules.dict` carry every
//! RFC 5545 part the rules have: BYWEEKNO, BYYEARDAY, RDATE and EXDATE forms, several RRULE
//! lines, UNTIL, X-SGSCHED-DST, and their JSON fields. The same text is read as an iCalendar
//! document (an imported `.ics`): its events' rules obey the same round trip, and any text
//! written as a folded, escaped property reads back unchanged.
#![no_main]

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sgsched_recurrence::ical::{
    EventTiming, FOLD_AT, IcsWriter, parse_document, read_events, unescape_text,
};
use sgsched_recurrence::recurrence::{
    HolidayCalendars, MAX_ADDITIONAL_RULES, MAX_EXTRA_DATES, Recurrence, RecurrenceRule,
    parse_rrule, parse_rule, to_rrule,
};

/// Occurrences compared per rule: enough to cross a DST change or a month end, few enough
/// that sparse rules stay fast.
const COMPARED: usize = 12;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((rule, tz)) = parse_rrule(text) {
        round_trip(&rule, tz.unwrap_or(Tz::UTC));
    }
    if let Ok(events) = read_events(text, Some(Tz::UTC)) {
        for event in events.into_iter().flatten().take(4) {
            if let EventTiming::Recurring { rule, tz } = event.timing {
                round_trip(&rule, tz);
            }
        }
    }
    folded_text_reads_back(text);
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        match parse_rule(&value, "recurrence_rule") {
            Ok(rule) => {
                let json = serde_json::to_value(&rule).expect("a rule serializes");
                let again = parse_rule(&json, "recurrence_rule")
                    .unwrap_or_else(|e| panic!("{json} no longer parses: {e:?}"));
                assert_eq!(again, rule, "JSON round trip changed the rule");
                round_trip(&rule, Tz::UTC);
                round_trip(&rule, chrono_tz::America::New_York);
            }
            Err(errors) => {
                assert!(!errors.is_empty(), "a refused rule names why");
                for e in &errors {
                    assert!(
                        e.field.starts_with("recurrence_rule"),
                        "error outside the rule's path: {e:?}"
                    );
                }
            }
        }
    }
});

fn folded_text_reads_back(text: &str) {
    let mut w = IcsWriter::new();
    w.begin("VEVENT");
    w.text("SUMMARY", text);
    w.end("VEVENT");
    let written = w.finish();
    assert!(
        written.split("\r\n").all(|l| l.len() <= FOLD_AT),
        "a line longer than 75 octets"
    );
    let doc = parse_document(&written).expect("our own text reads back");
    let kept: String = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    let summary = doc.property("SUMMARY").map(|p| unescape_text(&p.value));
    assert_eq!(summary.as_deref(), Some(kept.as_str()));
}

fn round_trip(rule: &RecurrenceRule, tz: Tz) {
    assert!(
        rule.extra_dates.len() <= MAX_EXTRA_DATES,
        "too many extra dates accepted"
    );
    assert!(
        rule.additional_rules.len() <= MAX_ADDITIONAL_RULES,
        "too many RRULEs accepted"
    );
    let _ = rule.describe();
    let text = to_rrule(rule, tz);
    let (again, _) =
        parse_rrule(&text).unwrap_or_else(|e| panic!("{text:?} no longer parses: {e}"));
    assert_eq!(
        &again, rule,
        "RRULE round trip changed the rule via {text:?}"
    );
    assert_eq!(
        occurrences(rule, tz),
        occurrences(&again, tz),
        "same rule, other occurrences"
    );
}

/// The first occurrences from before the start (a rule without a start gets a fixed one),
/// or the compile error.
fn occurrences(rule: &RecurrenceRule, tz: Tz) -> Result<Vec<String>, String> {
    let start = NaiveDate::from_ymd_opt(2026, 3, 1).expect("fixed date");
    let rule = rule.clone().with_default_start(start);
    let rec =
        Recurrence::new(&rule, tz, &HolidayCalendars::builtin()).map_err(|e| e.to_string())?;
    let from = rule
        .start_date
        .and_then(|d| d.pred_opt()?.pred_opt())
        .and_then(|d| Utc.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).single())
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    let all: Vec<_> = rec.iter_from(from).take(COMPARED).collect();
    assert!(
        all.windows(2).all(|w| w[0].at < w[1].at),
        "not strictly increasing: {all:?}"
    );
    Ok(all.iter().map(|o| o.to_line()).collect())
}
