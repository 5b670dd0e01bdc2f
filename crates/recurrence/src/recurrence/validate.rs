//! Validation of a rule, collecting every error with its field path.
//!
//! Works on the raw `serde_json::Value` so an API body reports all its mistakes at once
//! (serde stops at the first; the shape checks are [`super::validate_shape`]'s);
//! [`validate_rule`] applies the same semantic checks to a typed rule, so a rule built in
//! code or read from storage is checked the same way.

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use super::holidays::is_valid_calendar_name;
use super::rule::{Exception, Frequency, RecurrenceRule, WeekdaySpec};
use super::validate_shape::{
    DAYS_OF_YEAR_MESSAGE, PATTERN_FIELDS, WEEKS_OF_YEAR_MESSAGE, check_shape,
};

/// One problem in a request body: where (`recurrence_rule.days_of_week[2]`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Upper bound on `interval`: far beyond any real schedule, small enough that period
/// arithmetic never overflows.
pub const MAX_INTERVAL: u32 = 100_000;

/// At most this many `extra_dates` (RDATE values): a calendar of explicit dates, not a
/// store of them; a file with 100,000 is refused at once.
pub const MAX_EXTRA_DATES: usize = 1_000;

/// At most this many `additional_rules` (RRULE lines beyond the first).
pub const MAX_ADDITIONAL_RULES: usize = 10;

pub(super) struct Collector<'a> {
    pub(super) prefix: &'a str,
    pub(super) errors: Vec<FieldError>,
}

impl Collector<'_> {
    pub(super) fn path(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_string()
        } else {
            format!("{}.{}", self.prefix, field)
        }
    }

    pub(super) fn push(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.errors.push(FieldError {
            field: path,
            message: message.into(),
        });
    }
}

/// Parses and validates a rule given as JSON. `path_prefix` is the rule's own path in the
/// body (`"recurrence_rule"`), or `""` for a bare rule.
pub fn parse_rule(value: &Value, path_prefix: &str) -> Result<RecurrenceRule, Vec<FieldError>> {
    let mut c = Collector {
        prefix: path_prefix,
        errors: Vec::new(),
    };
    let Some(obj) = value.as_object() else {
        let field = if path_prefix.is_empty() {
            "recurrence_rule"
        } else {
            path_prefix
        };
        return Err(vec![FieldError::new(field, "must be an object")]);
    };
    // Malformed parts are reported and left out of a cleaned copy, so the semantic checks
    // still run on the rest and the caller sees every error of the body at once.
    let clean = check_shape(obj, &mut c);
    let rule: RecurrenceRule = match serde_json::from_value(Value::Object(clean)) {
        Ok(rule) => rule,
        // The shape checks mirror serde's; reaching this is a gap in them, still reported
        // as a field error rather than a panic.
        Err(e) => {
            let field = if path_prefix.is_empty() {
                "recurrence_rule"
            } else {
                path_prefix
            };
            c.errors.push(FieldError::new(field, e.to_string()));
            return Err(c.errors);
        }
    };
    let shape_failed = !c.errors.is_empty();
    for e in validate_rule(&rule, path_prefix) {
        if !c.errors.iter().any(|known| known.field == e.field) {
            c.errors.push(e);
        }
    }
    if c.errors.is_empty() && !shape_failed {
        Ok(rule)
    } else {
        Err(c.errors)
    }
}

/// Dates a rule may name: four-digit years, as RFC 3339 and RRULE text can write them.
/// chrono reaches year ±262143, where the engine's date arithmetic would run off its range.
pub(crate) fn in_year_range(d: NaiveDate) -> bool {
    (0..=9999).contains(&d.year())
}

pub(super) const YEAR_RANGE_MESSAGE: &str = "must be a date from 0000-01-01 to 9999-12-31";

/// The semantic checks on a typed rule; every error, with paths under `path_prefix`.
pub fn validate_rule(rule: &RecurrenceRule, path_prefix: &str) -> Vec<FieldError> {
    let mut c = Collector {
        prefix: path_prefix,
        errors: Vec::new(),
    };
    let freq = rule.frequency;
    if rule.interval == 0 {
        c.push("interval", "must be greater than 0");
    } else if rule.interval > MAX_INTERVAL {
        c.push("interval", format!("must be at most {MAX_INTERVAL}"));
    }
    if rule.count == Some(0) {
        c.push("count", "must be greater than 0");
    }
    let ordinals_allowed = matches!(freq, Frequency::Monthly | Frequency::Yearly);
    for (i, WeekdaySpec { day, ordinal }) in rule.days_of_week.iter().enumerate() {
        if !(1..=7).contains(day) {
            c.push(
                &format!("days_of_week[{i}]"),
                "must be between 1 (Monday) and 7 (Sunday)",
            );
        }
        if let Some(n) = ordinal {
            if !ordinals_allowed {
                c.push(
                    &format!("days_of_week[{i}].ordinal"),
                    "ordinal weekdays need a monthly or yearly frequency",
                );
            } else if *n == 0
                || n.abs() > 53
                || (freq == Frequency::Monthly || !rule.months.is_empty()) && n.abs() > 5
            {
                c.push(
                    &format!("days_of_week[{i}].ordinal"),
                    "must be 1 to 5 or -5 to -1 in a month (1 to 53 in a year)",
                );
            }
        }
    }
    for (i, d) in rule.days_of_month.iter().enumerate() {
        if *d == 0 || d.abs() > 31 {
            c.push(
                &format!("days_of_month[{i}]"),
                "must be 1 to 31 or -31 to -1 (-1 = last day)",
            );
        }
    }
    if !rule.days_of_month.is_empty() && freq == Frequency::Weekly {
        c.push(
            "days_of_month",
            "cannot be combined with a weekly frequency (RFC 5545)",
        );
    }
    for (i, m) in rule.months.iter().enumerate() {
        if !(1..=12).contains(m) {
            c.push(&format!("months[{i}]"), "must be between 1 and 12");
        }
    }
    for (i, h) in rule.hours.iter().enumerate() {
        if *h > 23 {
            c.push(&format!("hours[{i}]"), "must be between 0 and 23");
        }
    }
    for (i, m) in rule.minutes.iter().enumerate() {
        if *m > 59 {
            c.push(&format!("minutes[{i}]"), "must be between 0 and 59");
        }
    }
    for (i, p) in rule.set_positions.iter().enumerate() {
        if *p == 0 || p.abs() > 366 {
            c.push(
                &format!("set_positions[{i}]"),
                "must be 1 to 366 or -366 to -1",
            );
        }
    }
    if !rule.set_positions.is_empty() && freq.is_sub_daily() {
        c.push("set_positions", "needs a daily or longer frequency");
    }
    for (i, d) in rule.days_of_year.iter().enumerate() {
        if *d == 0 || d.abs() > 366 {
            c.push(&format!("days_of_year[{i}]"), DAYS_OF_YEAR_MESSAGE);
        }
    }
    if !rule.days_of_year.is_empty()
        && matches!(
            freq,
            Frequency::Daily | Frequency::Weekly | Frequency::Monthly
        )
    {
        c.push(
            "days_of_year",
            "cannot be combined with a daily, weekly or monthly frequency (RFC 5545); use yearly, or hourly/minutely to keep only those days",
        );
    }
    for (i, w) in rule.weeks_of_year.iter().enumerate() {
        if *w == 0 || w.abs() > 53 {
            c.push(&format!("weeks_of_year[{i}]"), WEEKS_OF_YEAR_MESSAGE);
        }
    }
    if !rule.weeks_of_year.is_empty() {
        if freq != Frequency::Yearly {
            c.push(
                "weeks_of_year",
                "needs a yearly frequency (RFC 5545 defines BYWEEKNO for FREQ=YEARLY only)",
            );
        }
        if let Some(i) = rule.days_of_week.iter().position(|w| w.ordinal.is_some()) {
            c.push(
                &format!("days_of_week[{i}].ordinal"),
                "cannot be combined with weeks_of_year (RFC 5545: no numbered BYDAY with BYWEEKNO in a yearly rule)",
            );
        }
    }
    if rule.week_start.is_some_and(|w| !(1..=7).contains(&w)) {
        c.push("week_start", "must be between 1 (Monday) and 7 (Sunday)");
    }
    if freq.is_sub_daily() && !rule.dst_policy.is_default() {
        c.push(
            "dst_policy",
            "applies to daily and longer rules only: minutely and hourly rules step in elapsed time, so no run falls in a gap or repeats in an overlap",
        );
    }
    for (field, date) in [("start_date", rule.start_date), ("end_date", rule.end_date)] {
        if date.is_some_and(|d| !in_year_range(d)) {
            c.push(field, YEAR_RANGE_MESSAGE);
        }
    }
    if let (Some(start), Some(end)) = (rule.start_date, rule.end_date)
        && end <= start
    {
        c.push("end_date", "must be after start_date");
    }
    if let Some(until) = rule.until {
        if rule.end_date.is_some() || rule.count.is_some() {
            c.push(
                "until",
                "cannot be combined with end_date or count (RFC 5545: UNTIL or COUNT, not both)",
            );
        }
        // A day inside the four-digit years: UNTIL is written in UTC, up to 14 hours off.
        let day = chrono::Days::new(1);
        if !(until
            .date()
            .checked_sub_days(day)
            .is_some_and(in_year_range)
            && until
                .date()
                .checked_add_days(day)
                .is_some_and(in_year_range))
        {
            c.push("until", "must be from 0000-01-02T00:00 to 9999-12-30T23:59");
        } else if let Some(start) = rule.start_date
            && until < start.and_time(rule.time_of_day.to_naive())
        {
            c.push(
                "until",
                "must not be before the start (start_date at time_of_day)",
            );
        }
    }
    if rule.extra_dates.len() > MAX_EXTRA_DATES {
        c.push(
            "extra_dates",
            format!(
                "at most {MAX_EXTRA_DATES} extra dates (this rule has {})",
                rule.extra_dates.len()
            ),
        );
    } else {
        for (i, d) in rule.extra_dates.iter().enumerate() {
            if !in_year_range(d.date()) {
                c.push(&format!("extra_dates[{i}]"), YEAR_RANGE_MESSAGE);
            }
        }
    }
    if rule.additional_rules.len() > MAX_ADDITIONAL_RULES {
        c.push(
            "additional_rules",
            format!("at most {MAX_ADDITIONAL_RULES} additional rules"),
        );
    } else {
        for (i, pattern) in rule.additional_rules.iter().enumerate() {
            let prefix = c.path(&format!("additional_rules[{i}]"));
            let combined = rule.with_pattern(pattern);
            for mut e in validate_rule(&combined, &prefix) {
                let field = e.field.strip_prefix(&prefix).unwrap_or(&e.field);
                let name = field
                    .trim_start_matches('.')
                    .split(['[', '.'])
                    .next()
                    .unwrap_or("");
                // The shared parts are the main rule's to report; a shared DST policy that
                // this pattern's frequency cannot have is this pattern's frequency's fault.
                if name == "dst_policy" {
                    e.field = format!("{prefix}.frequency");
                } else if !PATTERN_FIELDS.contains(&name) {
                    continue;
                }
                c.errors.push(e);
            }
        }
    }
    for (i, e) in rule.exceptions.iter().enumerate() {
        match e {
            Exception::Holidays { calendar, .. } if !is_valid_calendar_name(calendar) => {
                c.push(
                    &format!("exceptions[{i}].holiday_calendar"),
                    "must be a calendar name (letters, digits, _ and -)",
                );
            }
            Exception::Skip(date) if !in_year_range(*date) => {
                c.push(&format!("exceptions[{i}]"), YEAR_RANGE_MESSAGE);
            }
            Exception::SkipAt(at) if !in_year_range(at.date()) => {
                c.push(&format!("exceptions[{i}].at"), YEAR_RANGE_MESSAGE);
            }
            Exception::Reschedule { date, to } => {
                if !in_year_range(*date) {
                    c.push(&format!("exceptions[{i}].date"), YEAR_RANGE_MESSAGE);
                }
                if !in_year_range(to.date()) {
                    c.push(&format!("exceptions[{i}].to"), YEAR_RANGE_MESSAGE);
                }
            }
            _ => {}
        }
    }
    c.errors
}
