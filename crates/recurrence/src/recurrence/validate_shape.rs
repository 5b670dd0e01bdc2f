//! The shape half of [`super::validate::parse_rule`]: each JSON field's type and format,
//! with every unknown field named, on the raw `serde_json::Value` so a body reports all its
//! mistakes at once. What is well-formed is passed on for the semantic checks.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::holidays::is_valid_calendar_name;
use super::rule::{DstPolicy, Frequency, TimeOfDay, parse_local_datetime};
use super::validate::{Collector, FieldError};

const FIELDS: [&str; 20] = [
    "frequency",
    "interval",
    "days_of_week",
    "days_of_month",
    "months",
    "hours",
    "minutes",
    "set_positions",
    "days_of_year",
    "weeks_of_year",
    "week_start",
    "time_of_day",
    "start_date",
    "end_date",
    "until",
    "count",
    "exceptions",
    "extra_dates",
    "additional_rules",
    "dst_policy",
];

/// The fields of one of `additional_rules`: the per-RRULE parts.
pub(super) const PATTERN_FIELDS: [&str; 14] = [
    "frequency",
    "interval",
    "days_of_week",
    "days_of_month",
    "months",
    "hours",
    "minutes",
    "set_positions",
    "days_of_year",
    "weeks_of_year",
    "week_start",
    "end_date",
    "until",
    "count",
];

/// Types and formats of each field, with every unknown field named; returns the fields
/// (and list items) that are well-formed.
pub(super) fn check_shape(obj: &Map<String, Value>, c: &mut Collector<'_>) -> Map<String, Value> {
    let mut clean = Map::new();
    for key in obj.keys() {
        if !FIELDS.contains(&key.as_str()) {
            c.push(
                key,
                format!("unknown field; expected one of {}", FIELDS.join(", ")),
            );
        }
    }
    // Placeholders for missing required fields: yearly accepts every other field, so it
    // adds no error of its own to the semantic checks.
    let frequency = match obj.get("frequency") {
        None | Some(Value::Null) => {
            c.push("frequency", "is required");
            "yearly"
        }
        Some(Value::String(s)) if Frequency::parse(s).is_some() => s.as_str(),
        Some(_) => {
            c.push(
                "frequency",
                "must be one of minutely, hourly, daily, weekly, monthly, yearly",
            );
            "yearly"
        }
    };
    clean.insert("frequency".into(), frequency.into());
    let time = match obj.get("time_of_day") {
        None | Some(Value::Null) => {
            c.push("time_of_day", "is required");
            "00:00"
        }
        Some(Value::String(s)) if TimeOfDay::parse(s).is_some() => s.as_str(),
        Some(_) => {
            c.push("time_of_day", "must be a time \"HH:MM\" (00:00 to 23:59)");
            "00:00"
        }
    };
    clean.insert("time_of_day".into(), time.into());
    for (key, max, message) in [
        (
            "interval",
            u64::from(u32::MAX),
            "must be a positive integer",
        ),
        ("count", u64::from(u32::MAX), "must be a positive integer"),
        ("week_start", 7, "must be between 1 (Monday) and 7 (Sunday)"),
    ] {
        if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
            if v.as_u64().is_some_and(|n| n <= max) {
                clean.insert(key.into(), v.clone());
            } else {
                c.push(key, message);
            }
        }
    }
    for key in ["start_date", "end_date"] {
        if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
            if v.as_str()
                .and_then(|s| s.parse::<NaiveDate>().ok())
                .is_some()
            {
                clean.insert(key.into(), v.clone());
            } else {
                c.push(key, "must be a date \"YYYY-MM-DD\"");
            }
        }
    }
    for (key, lo, hi, message) in [
        (
            "days_of_month",
            -31,
            31,
            "must be 1 to 31 or -31 to -1 (-1 = last day)",
        ),
        ("months", 1, 12, "must be between 1 and 12"),
        ("hours", 0, 23, "must be between 0 and 23"),
        ("minutes", 0, 59, "must be between 0 and 59"),
        ("set_positions", -366, 366, "must be 1 to 366 or -366 to -1"),
        ("days_of_year", -366, 366, DAYS_OF_YEAR_MESSAGE),
        ("weeks_of_year", -53, 53, WEEKS_OF_YEAR_MESSAGE),
    ] {
        let items = list_items(
            obj,
            key,
            c,
            |v| v.as_i64().is_some_and(|n| (lo..=hi).contains(&n)),
            message,
        );
        if let Some(items) = items {
            clean.insert(key.into(), Value::Array(items));
        }
    }
    let weekdays = list_items(obj, "days_of_week", c, weekday_shape_ok, WEEKDAY_MESSAGE);
    if let Some(items) = weekdays {
        clean.insert("days_of_week".into(), Value::Array(items));
    }
    if let Some(Value::Array(items)) = obj.get("exceptions") {
        let good = items
            .iter()
            .enumerate()
            .filter(|(i, item)| check_exception_shape(item, c, &format!("exceptions[{i}]")))
            .map(|(_, item)| item.clone())
            .collect();
        clean.insert("exceptions".into(), Value::Array(good));
    } else if obj.get("exceptions").is_some_and(|v| !v.is_null()) {
        c.push("exceptions", "must be a list");
    }
    if let Some(v) = obj.get("until").filter(|v| !v.is_null()) {
        if v.as_str().and_then(parse_local_datetime).is_some() {
            clean.insert("until".into(), v.clone());
        } else {
            c.push("until", LOCAL_DATETIME_MESSAGE);
        }
    }
    let extra = list_items(
        obj,
        "extra_dates",
        c,
        |v| v.as_str().and_then(parse_local_datetime).is_some(),
        LOCAL_DATETIME_MESSAGE,
    );
    if let Some(items) = extra {
        clean.insert("extra_dates".into(), Value::Array(items));
    }
    if let Some(Value::Array(items)) = obj.get("additional_rules") {
        let good = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| check_pattern_shape(item, c, i))
            .collect();
        clean.insert("additional_rules".into(), Value::Array(good));
    } else if obj.get("additional_rules").is_some_and(|v| !v.is_null()) {
        c.push("additional_rules", "must be a list");
    }
    if let Some(v) = obj.get("dst_policy").filter(|v| !v.is_null())
        && check_dst_policy_shape(v, c)
    {
        clean.insert("dst_policy".into(), v.clone());
    }
    clean
}

pub(super) const LOCAL_DATETIME_MESSAGE: &str = "must be a local date-time \"YYYY-MM-DDTHH:MM\"";

/// One of `additional_rules`, checked as a rule of its own under `additional_rules[i]`;
/// its well-formed part, or `None` when it is not an object.
fn check_pattern_shape(v: &Value, c: &mut Collector<'_>, i: usize) -> Option<Value> {
    let path = format!("additional_rules[{i}]");
    let Some(o) = v.as_object() else {
        c.push(&path, "must be an object with a rule's per-RRULE fields");
        return None;
    };
    let mut own = Map::new();
    for (k, v) in o {
        if PATTERN_FIELDS.contains(&k.as_str()) {
            own.insert(k.clone(), v.clone());
        } else {
            c.push(
                &format!("{path}.{k}"),
                format!(
                    "unknown field; an additional rule has only {}",
                    PATTERN_FIELDS.join(", ")
                ),
            );
        }
    }
    // The shared time of day stands in for the one the pattern does not have.
    own.insert("time_of_day".into(), "00:00".into());
    let prefix = c.path(&path);
    let mut sub = Collector {
        prefix: &prefix,
        errors: Vec::new(),
    };
    let mut clean = check_shape(&own, &mut sub);
    c.errors.append(&mut sub.errors);
    clean.remove("time_of_day");
    Some(Value::Object(clean))
}

/// A `dst_policy` given apart from its rule (a schedule's own field), every error named under
/// `prefix` (`""` gives `dst_policy.gap`).
pub fn parse_dst_policy(v: &Value, prefix: &str) -> Result<DstPolicy, Vec<FieldError>> {
    let mut c = Collector {
        prefix,
        errors: Vec::new(),
    };
    if !check_dst_policy_shape(v, &mut c) {
        return Err(c.errors);
    }
    serde_json::from_value(v.clone())
        .map_err(|e| vec![FieldError::new(c.path("dst_policy"), e.to_string())])
}

/// `{"gap": "shift_forward"|"skip", "overlap": "first"|"last"|"both"}`, keys optional;
/// true when well-formed.
fn check_dst_policy_shape(v: &Value, c: &mut Collector<'_>) -> bool {
    let Some(o) = v.as_object() else {
        c.push(
            "dst_policy",
            "must be an object {\"gap\": …, \"overlap\": …}",
        );
        return false;
    };
    let before = c.errors.len();
    for (k, v) in o {
        let allowed: &[&str] = match k.as_str() {
            "gap" => &["shift_forward", "skip"],
            "overlap" => &["first", "last", "both"],
            _ => {
                c.push(
                    &format!("dst_policy.{k}"),
                    "unknown field; expected gap or overlap",
                );
                continue;
            }
        };
        if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
            c.push(
                &format!("dst_policy.{k}"),
                format!("must be one of {}", allowed.join(", ")),
            );
        }
    }
    c.errors.len() == before
}

pub(super) const DAYS_OF_YEAR_MESSAGE: &str =
    "must be 1 to 366 or -366 to -1 (-1 = last day of the year)";
pub(super) const WEEKS_OF_YEAR_MESSAGE: &str =
    "must be 1 to 53 or -53 to -1 (-1 = last week of the year)";

const WEEKDAY_MESSAGE: &str =
    "must be a weekday number 1-7 (Monday = 1) or {\"day\": 1-7, \"ordinal\": n}";

/// The well-formed items of list `key`, an error for each other one.
fn list_items(
    obj: &Map<String, Value>,
    key: &str,
    c: &mut Collector<'_>,
    ok: impl Fn(&Value) -> bool,
    message: &str,
) -> Option<Vec<Value>> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut good = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if ok(item) {
                    good.push(item.clone());
                } else {
                    c.push(&format!("{key}[{i}]"), message);
                }
            }
            Some(good)
        }
        Some(_) => {
            c.push(key, "must be a list");
            None
        }
    }
}

fn weekday_shape_ok(v: &Value) -> bool {
    let day_ok = |v: Option<&Value>| {
        v.and_then(Value::as_u64)
            .is_some_and(|n| (1..=7).contains(&n))
    };
    match v {
        Value::Number(_) => day_ok(Some(v)),
        Value::Object(o) => {
            o.keys().all(|k| k == "day" || k == "ordinal")
                && day_ok(o.get("day"))
                && o.get("ordinal")
                    .is_none_or(|n| n.is_null() || n.as_i64().is_some_and(|n| n.abs() <= 127))
        }
        _ => false,
    }
}

/// Reports what is wrong with one exception; true when nothing is.
fn check_exception_shape(v: &Value, c: &mut Collector<'_>, path: &str) -> bool {
    let before = c.errors.len();
    if let Some(s) = v.as_str() {
        if s.parse::<NaiveDate>().is_err() {
            c.push(path, "must be a date \"YYYY-MM-DD\"");
        }
        return c.errors.len() == before;
    }
    let Some(o) = v.as_object() else {
        c.push(path, "must be a date or an exception object");
        return false;
    };
    for k in o.keys() {
        if !["date", "at", "action", "to", "holiday_calendar"].contains(&k.as_str()) {
            c.push(&format!("{path}.{k}"), "unknown field");
        }
    }
    let action = o.get("action").and_then(Value::as_str);
    let date_ok = o
        .get("date")
        .and_then(Value::as_str)
        .is_some_and(|s| s.parse::<NaiveDate>().is_ok());
    match (o.get("holiday_calendar"), action) {
        (Some(cal), Some("skip" | "next_business_day")) => {
            if !cal.as_str().is_some_and(is_valid_calendar_name) {
                c.push(
                    &format!("{path}.holiday_calendar"),
                    "must be a calendar name (letters, digits, _ and -)",
                );
            }
            if o.contains_key("date") || o.contains_key("to") {
                c.push(
                    path,
                    "a holiday exception has only `holiday_calendar` and `action`",
                );
            }
        }
        (Some(_), _) => c.push(
            &format!("{path}.action"),
            "must be skip or next_business_day",
        ),
        (None, Some("skip")) if o.contains_key("at") => {
            if o.get("at")
                .and_then(Value::as_str)
                .is_none_or(|s| parse_local_datetime(s).is_none())
            {
                c.push(&format!("{path}.at"), LOCAL_DATETIME_MESSAGE);
            }
            if o.contains_key("date") || o.contains_key("to") {
                c.push(
                    path,
                    "a skip of one run has only `at` and `action` (a whole day is `date`)",
                );
            }
        }
        (None, Some("skip")) => {
            if !date_ok {
                c.push(&format!("{path}.date"), "must be a date \"YYYY-MM-DD\"");
            }
            if o.contains_key("to") {
                c.push(&format!("{path}.to"), "only a reschedule has `to`");
            }
        }
        (None, Some("reschedule")) => {
            if !date_ok {
                c.push(&format!("{path}.date"), "must be a date \"YYYY-MM-DD\"");
            }
            if o.get("to")
                .and_then(Value::as_str)
                .is_none_or(|s| parse_local_datetime(s).is_none())
            {
                c.push(
                    &format!("{path}.to"),
                    "must be a local date-time \"YYYY-MM-DDTHH:MM\"",
                );
            }
        }
        (None, _) => c.push(&format!("{path}.action"), "must be skip or reschedule"),
    }
    c.errors.len() == before
}
