//! A validator that collects every error of a JSON config, each with the JSON path of the
//! offending value (`title`, `items[3].prompt`, `destination.path`; `""` for the whole config).
//!
//! Checks report and return `None` on failure instead of stopping, so one pass over a config
//! finds all of its problems: the contract asks `validate` for every error at once.

use serde_json::{Map, Value};

use crate::formats;

/// One problem with a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the offending value; empty for the config as a whole.
    pub field: String,
    /// Human-readable explanation.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// Path of `key` inside the object at `parent`.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// Path of element `index` of the array at `parent`.
pub fn index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// A JSON object that passed [`Validator::object`], with its path.
#[derive(Debug, Clone, Copy)]
pub struct Object<'a> {
    path: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> Object<'a> {
    /// The value of `key`, if present (`null` counts as present).
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// Whether `key` is present.
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The path of the object itself.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The path of `key` inside this object.
    pub fn path_of(&self, key: &str) -> String {
        join(self.path, key)
    }
}

/// Collects field errors; see the module documentation.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error, unless the field already has one: a second complaint about the same
    /// value (out of range, then not allowed with this format) is a consequence of the first,
    /// and one error per field keeps the list easy to act on.
    pub fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        if self.errors.iter().any(|e| e.field == field) {
            return;
        }
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// The errors so far, in the order they were found.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    /// Checks that `value` is an object whose keys are all in `known`; every other key is
    /// reported as an unknown field. Returns the object even when it has unknown fields, so
    /// the known ones are still checked.
    pub fn object<'a>(
        &mut self,
        value: &'a Value,
        path: &'a str,
        known: &[&str],
    ) -> Option<Object<'a>> {
        let Some(map) = value.as_object() else {
            self.error(path, "must be a JSON object");
            return None;
        };
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                self.error(join(path, key), "unknown field");
            }
        }
        Some(Object { path, map })
    }

    /// A string of `min..=max` characters (Unicode scalar values, as JSON Schema counts);
    /// when `min > 0` it must also not be blank.
    pub fn string<'a>(
        &mut self,
        path: &str,
        value: &'a Value,
        min: usize,
        max: usize,
    ) -> Option<&'a str> {
        let Some(s) = value.as_str() else {
            self.error(path, "must be a string");
            return None;
        };
        let len = s.chars().count();
        if len < min || len > max {
            let message = if min == 0 {
                format!("must be at most {max} characters long")
            } else {
                format!("must be {min} to {max} characters long")
            };
            self.error(path, message);
            return None;
        }
        if min > 0 && s.trim().is_empty() {
            self.error(path, "must not be blank");
            return None;
        }
        Some(s)
    }

    /// One of `allowed`, exactly (case matters).
    pub fn one_of<'a>(
        &mut self,
        path: &str,
        value: &'a Value,
        allowed: &[&str],
    ) -> Option<&'a str> {
        match value.as_str() {
            Some(s) if allowed.contains(&s) => Some(s),
            _ => {
                self.error(path, format!("must be one of: {}", allowed.join(", ")));
                None
            }
        }
    }

    /// An integer in `min..=max`. `5.0` is an integer, as in JSON Schema.
    pub fn integer(&mut self, path: &str, value: &Value, min: i64, max: i64) -> Option<i64> {
        let Some(n) = as_integer(value) else {
            self.error(path, "must be an integer");
            return None;
        };
        if n < min || n > max {
            self.error(path, format!("must be between {min} and {max}"));
            return None;
        }
        Some(n)
    }

    /// An integer that is one of `allowed`.
    pub fn integer_of(&mut self, path: &str, value: &Value, allowed: &[i64]) -> Option<i64> {
        match as_integer(value) {
            Some(n) if allowed.contains(&n) => Some(n),
            _ => {
                let list: Vec<String> = allowed.iter().map(i64::to_string).collect();
                self.error(path, format!("must be one of: {}", list.join(", ")));
                None
            }
        }
    }

    /// A number in `min..=max`.
    pub fn number(&mut self, path: &str, value: &Value, min: f64, max: f64) -> Option<f64> {
        let Some(n) = value.as_f64() else {
            self.error(path, "must be a number");
            return None;
        };
        if !(min..=max).contains(&n) {
            self.error(path, format!("must be between {min} and {max}"));
            return None;
        }
        Some(n)
    }

    pub fn boolean(&mut self, path: &str, value: &Value) -> Option<bool> {
        let b = value.as_bool();
        if b.is_none() {
            self.error(path, "must be true or false");
        }
        b
    }

    /// A UUID in its hyphenated text form.
    pub fn uuid<'a>(&mut self, path: &str, value: &'a Value) -> Option<&'a str> {
        self.format(
            path,
            value,
            formats::is_uuid,
            "must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
        )
    }

    /// A BCP 47 language tag such as `en`, `pt-BR` or `zh-Hans-CN`.
    pub fn language<'a>(&mut self, path: &str, value: &'a Value) -> Option<&'a str> {
        self.format(
            path,
            value,
            formats::is_language_tag,
            "must be a BCP 47 language tag such as en, en-US or zh-Hans-CN",
        )
    }

    /// An absolute URL whose scheme is one of `schemes`.
    pub fn url<'a>(&mut self, path: &str, value: &'a Value, schemes: &[&str]) -> Option<&'a str> {
        let Some(s) = value.as_str() else {
            self.error(path, "must be a string");
            return None;
        };
        if formats::is_url(s, schemes) {
            Some(s)
        } else {
            let forms: Vec<String> = schemes.iter().map(|s| format!("{s}://…")).collect();
            self.error(
                path,
                format!("must be a URL of the form {}", forms.join(" or ")),
            );
            None
        }
    }

    /// A `WIDTHxHEIGHT` size (lower-case `x`) within the bounds, or one of `presets`.
    pub fn resolution<'a>(
        &mut self,
        path: &str,
        value: &'a Value,
        presets: &[&str],
        width: (u32, u32),
        height: (u32, u32),
    ) -> Option<&'a str> {
        let Some(s) = value.as_str() else {
            self.error(path, "must be a string");
            return None;
        };
        if presets.contains(&s) {
            return Some(s);
        }
        match formats::parse_resolution(s) {
            Some((w, h))
                if (width.0..=width.1).contains(&w) && (height.0..=height.1).contains(&h) =>
            {
                Some(s)
            }
            _ => {
                let mut message = format!(
                    "must be WIDTHxHEIGHT with width {}-{} and height {}-{}",
                    width.0, width.1, height.0, height.1
                );
                if !presets.is_empty() {
                    message.push_str(&format!(", or one of: {}", presets.join(", ")));
                }
                self.error(path, message);
                None
            }
        }
    }

    /// An array of `min..=max` items; returns the items with their paths.
    pub fn array<'a>(
        &mut self,
        path: &str,
        value: &'a Value,
        min: usize,
        max: usize,
    ) -> Option<Vec<(String, &'a Value)>> {
        let Some(items) = value.as_array() else {
            self.error(path, "must be an array");
            return None;
        };
        if items.len() < min || items.len() > max {
            let message = if min == 0 {
                format!("must have at most {max} items")
            } else {
                format!("must have {min} to {max} items")
            };
            self.error(path, message);
            return None;
        }
        Some(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| (index(path, i), item))
                .collect(),
        )
    }

    /// Exactly one of the fields `a` and `b` must be present: neither is reported on `a`,
    /// both on `b` (a UI then highlights a field, not the whole form).
    pub fn exactly_one(&mut self, object: &Object<'_>, a: &str, b: &str) {
        match (object.has(a), object.has(b)) {
            (false, false) => self.error(object.path_of(a), format!("is required (or give {b})")),
            (true, true) => self.error(
                object.path_of(b),
                format!("must not be given together with {a}"),
            ),
            _ => {}
        }
    }

    /// Reports `key` if present, as not allowed `when` (e.g. `with format mp3`).
    pub fn not_allowed(&mut self, object: &Object<'_>, key: &str, when: &str) {
        if object.has(key) {
            self.error(object.path_of(key), format!("is not allowed {when}"));
        }
    }

    fn format<'a>(
        &mut self,
        path: &str,
        value: &'a Value,
        valid: fn(&str) -> bool,
        message: &str,
    ) -> Option<&'a str> {
        match value.as_str() {
            Some(s) if valid(s) => Some(s),
            Some(_) => {
                self.error(path, message);
                None
            }
            None => {
                self.error(path, "must be a string");
                None
            }
        }
    }
}

/// `value` as an integer, accepting whole floats (`5.0`) as JSON Schema does.
pub fn as_integer(value: &Value) -> Option<i64> {
    if let Some(n) = value.as_i64() {
        return Some(n);
    }
    let f = value.as_f64()?;
    // Guarded by the range check, so the cast below cannot saturate.
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_error_with_paths() {
        let config = json!({"title": "", "n": 99, "extra": 1, "items": [1, "x"]});
        let mut v = Validator::new();
        let o = v.object(&config, "", &["title", "n", "items"]).unwrap();
        v.string(&o.path_of("title"), o.get("title").unwrap(), 1, 10);
        v.integer(&o.path_of("n"), o.get("n").unwrap(), 0, 10);
        let path = o.path_of("items");
        for (p, item) in v.array(&path, o.get("items").unwrap(), 1, 5).unwrap() {
            v.string(&p, item, 1, 5);
        }
        let fields: Vec<&str> = v.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["extra", "title", "n", "items[0]"]);
    }

    #[test]
    fn one_error_per_field() {
        let mut v = Validator::new();
        v.error("a", "first");
        v.error("a", "second");
        assert_eq!(v.errors().len(), 1);
        assert_eq!(v.errors()[0].message, "first");
    }

    #[test]
    fn not_an_object_is_one_error_on_the_whole() {
        let mut v = Validator::new();
        assert!(v.object(&json!([1]), "", &[]).is_none());
        assert_eq!(v.errors()[0].field, "");
    }

    #[test]
    fn integers_accept_whole_floats_only() {
        let mut v = Validator::new();
        assert_eq!(v.integer("n", &json!(5.0), 0, 10), Some(5));
        assert_eq!(v.integer("a", &json!(5.5), 0, 10), None);
        assert_eq!(v.integer("b", &json!("5"), 0, 10), None);
        assert_eq!(v.errors().len(), 2);
    }

    #[test]
    fn blank_strings_are_rejected_when_content_is_required() {
        let mut v = Validator::new();
        assert!(v.string("s", &json!("   "), 1, 10).is_none());
        assert!(v.string("s", &json!(""), 0, 10).is_some());
        assert!(v.string("s", &json!("ééé"), 1, 3).is_some());
    }

    #[test]
    fn resolution_accepts_presets_and_bounded_sizes() {
        let mut v = Validator::new();
        assert!(
            v.resolution(
                "r",
                &json!("youtube"),
                &["youtube"],
                (320, 3840),
                (180, 2160)
            )
            .is_some()
        );
        assert!(
            v.resolution("r", &json!("1280x720"), &[], (320, 3840), (180, 2160))
                .is_some()
        );
        assert!(
            v.resolution("r", &json!("100x720"), &[], (320, 3840), (180, 2160))
                .is_none()
        );
        assert!(
            v.resolution("r", &json!("1280X720"), &[], (320, 3840), (180, 2160))
                .is_none()
        );
    }
}
