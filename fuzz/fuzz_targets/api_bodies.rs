//! api_bodies: any JSON document read the way the API reads request bodies, through the
//! field reader (`sgsched_recurrence::fields`) that every handler uses. The schedule, series
//! and bulk bodies themselves are assembled in the host (they name the service's types,
//! which pull in wasmtime), so this target reads the document with every reader the host
//! calls, under the field names the host uses, then does what a create does next with a
//! rule and zone it accepted: compile it and ask for the next runs.
//!
//! Never a panic; every error names a field at or under the one being read (only a body
//! that is not an object gets the body's own, empty, path); a field read as invalid is never
//! also returned as a value.
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sgsched_recurrence::fields::{Reader, parse_instant};
use sgsched_recurrence::recurrence::{HolidayCalendars, compile_with_default_start};
use sgsched_recurrence::timezone::format_utc;

/// The schedule create body's fields (host/src/api/schedules/body.rs).
const CREATE_FIELDS: &[&str] = &[
    "name",
    "description",
    "job_type",
    "job_config",
    "schedule_type",
    "scheduled_at",
    "recurrence_rule",
    "timezone",
    "priority",
    "max_runs",
    "missed_policy",
    "overlap_policy",
];

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    read(&body, "");
    // Nested objects are read with a prefix, as the bulk filter is.
    if let Some(obj) = body.as_object() {
        for (key, value) in obj.iter().take(4) {
            if value.is_object() {
                read(value, key);
            }
        }
    }
    if let Some(s) = body.as_str() {
        let _ = parse_instant(s, chrono_tz::America::New_York).map(format_utc);
    }
});

fn read(body: &Value, prefix: &str) {
    let mut r = match Reader::new(body, prefix) {
        Ok(r) => r,
        Err(e) => {
            assert!(!body.is_object(), "an object is readable");
            assert_eq!(e.field, prefix, "a non-object is reported at its own path");
            return;
        }
    };
    r.deny_unknown(CREATE_FIELDS);
    let before = r.errors.len();
    for e in &r.errors {
        let key = if prefix.is_empty() {
            Some(e.field.as_str())
        } else {
            e.field.strip_prefix(&format!("{prefix}."))
        };
        let key = key.unwrap_or_else(|| panic!("unknown-field error outside {prefix:?}: {e:?}"));
        assert!(
            body.get(key).is_some(),
            "unknown-field error for an absent key: {e:?}"
        );
    }

    let mut checks: Vec<(&str, bool)> = Vec::new();
    let timezone = r.timezone("timezone");
    checks.push(("timezone", timezone.is_some()));
    let tz = timezone.unwrap_or(chrono_tz::UTC);
    checks.push(("name", r.string("name", 1, 200).is_some()));
    checks.push(("description", r.string("description", 0, 2000).is_some()));
    checks.push(("max_runs", r.uint("max_runs", 1, 1_000_000).is_some()));
    checks.push(("dry_run", r.boolean("dry_run").is_some()));
    let priority = r.choice(
        "priority",
        |s| {
            ["low", "normal", "high", "urgent"]
                .contains(&s)
                .then_some(())
        },
        "low, normal, high, urgent".into(),
    );
    checks.push(("priority", priority.is_some()));
    let at = r.instant("scheduled_at", tz);
    checks.push(("scheduled_at", at.is_some()));
    let rule = r.rule("recurrence_rule");
    checks.push(("recurrence_rule", rule.is_some()));

    for e in &r.errors[before..] {
        let owner = checks.iter().find(|(f, _)| {
            let path = r.path(f);
            e.field == path
                || e.field.starts_with(&format!("{path}."))
                || e.field.starts_with(&format!("{path}["))
        });
        assert!(owner.is_some(), "error names no field that was read: {e:?}");
    }
    for (field, ok) in &checks {
        let path = r.path(field);
        let has_error = r.errors[before..].iter().any(|e| {
            e.field == path
                || e.field.starts_with(&format!("{path}."))
                || e.field.starts_with(&format!("{path}["))
        });
        let present = r.value(field).is_some();
        if *ok {
            assert!(!has_error, "{path} returned a value and an error");
        } else if present {
            assert!(has_error, "{path} refused without an error");
        }
    }

    if let Some(at) = at {
        let _ = format_utc(at);
    }
    if let Some(rule) = rule {
        compile_and_step(&rule, tz);
    }
}

/// What a create does with an accepted rule: fill the start date, compile, find next runs.
fn compile_and_step(rule: &sgsched_recurrence::recurrence::RecurrenceRule, tz: chrono_tz::Tz) {
    let now = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).expect("fixed instant");
    if let Ok(rec) = compile_with_default_start(rule, tz, &HolidayCalendars::builtin(), now) {
        for o in rec.iter_from(now).take(3) {
            let _ = o.to_line();
        }
    }
}
