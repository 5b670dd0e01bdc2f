//! Reading JSON bodies and query strings field by field, collecting every error with its path
//! instead of stopping at the first (serde's way). Strings become typed values here, once.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::recurrence::{
    DstPolicy, FieldError, RecurrenceRule, parse_dst_policy, parse_rrule, parse_rule,
};
use crate::timezone::{parse_timezone, resolve_local};

/// A JSON object being read, with the errors found so far.
pub struct Reader<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
    pub errors: Vec<FieldError>,
    /// Fields present but malformed (so "is required" is not said twice).
    pub failed: std::collections::HashSet<String>,
}

impl<'a> Reader<'a> {
    /// Fails with one error when the body is not an object.
    pub fn new(value: &'a Value, prefix: &str) -> Result<Self, FieldError> {
        match value.as_object() {
            Some(obj) => Ok(Self {
                obj,
                prefix: prefix.to_string(),
                errors: Vec::new(),
                failed: Default::default(),
            }),
            None => Err(FieldError::new(
                if prefix.is_empty() { "" } else { prefix },
                "must be a JSON object",
            )),
        }
    }

    pub fn path(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.prefix)
        }
    }

    fn fail(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.errors.push(FieldError::new(path.clone(), message));
        self.failed.insert(path);
    }

    /// Every key not in `known` is an error.
    pub fn deny_unknown(&mut self, known: &[&str]) {
        let unknown: Vec<String> = self
            .obj
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unknown {
            let path = self.path(&k);
            self.errors.push(FieldError::new(path, "unknown field"));
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.obj.contains_key(field)
    }

    /// The raw value; `null` counts as absent.
    pub fn value(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    pub fn string(&mut self, field: &str, min: usize, max: usize) -> Option<String> {
        let v = self.value(field)?;
        match v.as_str() {
            Some(s) if s.trim().chars().count() < min => {
                self.fail(
                    field,
                    if min == 1 {
                        "must not be empty".into()
                    } else {
                        format!("must be at least {min} characters")
                    },
                );
                None
            }
            Some(s) if s.chars().count() > max => {
                self.fail(field, format!("must be at most {max} characters"));
                None
            }
            Some(s) => Some(s.to_string()),
            None => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    pub fn uint(&mut self, field: &str, min: u64, max: u64) -> Option<u64> {
        let v = self.value(field)?;
        match v.as_u64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.fail(field, format!("must be an integer from {min} to {max}"));
                None
            }
        }
    }

    pub fn boolean(&mut self, field: &str) -> Option<bool> {
        let v = self.value(field)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.fail(field, "must be true or false");
                None
            }
        }
    }

    /// A string enum, parsed by `parse`, with `choices` named in the error.
    pub fn choice<T>(
        &mut self,
        field: &str,
        parse: fn(&str) -> Option<T>,
        choices: String,
    ) -> Option<T> {
        let v = self.value(field)?;
        match v.as_str().and_then(parse) {
            Some(t) => Some(t),
            None => {
                self.fail(field, format!("must be one of: {choices}"));
                None
            }
        }
    }

    pub fn timezone(&mut self, field: &str) -> Option<Tz> {
        let v = self.value(field)?;
        match v.as_str().map(parse_timezone) {
            Some(Ok(tz)) => Some(tz),
            Some(Err(e)) => {
                self.fail(field, e.to_string());
                None
            }
            None => {
                self.fail(field, "must be an IANA timezone name such as Europe/Berlin");
                None
            }
        }
    }

    /// An RFC 3339 instant, or a local date-time without offset read in `tz`.
    pub fn instant(&mut self, field: &str, tz: Tz) -> Option<DateTime<Utc>> {
        let v = self.value(field)?;
        let parsed = v.as_str().and_then(|s| parse_instant(s, tz));
        if parsed.is_none() {
            self.fail(field, "must be an RFC 3339 instant (2026-03-08T14:00:00Z) or a local date-time (2026-03-08T14:00)");
        }
        parsed
    }

    /// A schedule's `dst_policy` object.
    pub fn dst_policy(&mut self) -> Option<DstPolicy> {
        let field = "dst_policy";
        let v = self.value(field)?;
        match parse_dst_policy(v, &self.prefix) {
            Ok(p) => Some(p),
            Err(errs) => {
                self.errors.extend(errs);
                self.failed.insert(self.path(field));
                None
            }
        }
    }

    /// A recurrence rule: the JSON object form, or RRULE text.
    pub fn rule(&mut self, field: &str) -> Option<RecurrenceRule> {
        let v = self.value(field)?;
        let path = self.path(field);
        let result = match v {
            Value::String(text) => parse_rrule(text)
                .map(|(r, _)| r)
                .map_err(|e| vec![FieldError::new(path.clone(), e.to_string())]),
            _ => parse_rule(v, &path),
        };
        match result {
            Ok(r) => Some(r),
            Err(errs) => {
                self.errors.extend(errs);
                self.failed.insert(path);
                None
            }
        }
    }
}

/// RFC 3339, or a local date-time read in `tz`. Years are four digits in both: chrono's
/// `%Y` would also take `+262142`, an instant hours from the end of its range.
pub fn parse_instant(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .filter(|local| (0..=9999).contains(&local.year()))
        .map(|local| resolve_local(&tz, local).0)
}
