//! Declarative field specs. One table of [`Field`]s per object drives both the checks
//! ([`check_object`]) and the JSON Schema ([`object_schema`]), so the schema a plugin
//! publishes cannot drift from what its `validate` enforces. Rules across fields (exactly one
//! of two, allowed only with some format) stay hand-written in each plugin, next to the
//! schema fragment that states them.

use serde_json::{Map, Value, json};

use crate::validator::{Object, Validator};

/// What a field's value must be.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string of `min..=max` characters, not blank when `min > 0`.
    Text {
        min: usize,
        max: usize,
    },
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// An integer in `min..=max`.
    Integer {
        min: i64,
        max: i64,
    },
    /// One of these integers.
    IntegerEnum(&'static [i64]),
    /// A number in `min..=max`.
    Number {
        min: f64,
        max: f64,
    },
    Bool,
    Uuid,
    /// A BCP 47 language tag.
    Language,
    /// An absolute URL with one of these schemes.
    Url(&'static [&'static str]),
    /// `WIDTHxHEIGHT` within bounds, or one of the presets.
    Resolution {
        presets: &'static [&'static str],
        width: (u32, u32),
        height: (u32, u32),
    },
    /// An array of `min..=max` items of a kind; `unique` rejects repeats (case-insensitively
    /// for strings, since `en-US` and `en-us` are the same language).
    List {
        item: &'static Kind,
        min: usize,
        max: usize,
        unique: bool,
    },
    /// A nested object with its own fields.
    Object(&'static [Field]),
    /// Anything: the plugin checks it by hand (and describes it in its schema).
    Custom,
}

/// One field of an object.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub description: &'static str,
}

impl Field {
    pub const fn required(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Self {
            name,
            kind,
            required: true,
            description,
        }
    }

    pub const fn optional(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Self {
            name,
            kind,
            required: false,
            description,
        }
    }
}

/// Checks `value` at `path` against `fields`: an object, no unknown fields, required fields
/// present, each present field of its kind. Returns the object for the plugin's own rules.
pub fn check_object<'a>(
    v: &mut Validator,
    value: &'a Value,
    path: &'a str,
    fields: &[Field],
) -> Option<Object<'a>> {
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    let object = v.object(value, path, &names)?;
    for field in fields {
        match object.get(field.name) {
            Some(value) => check_value(v, &object.path_of(field.name), value, &field.kind),
            None if field.required => v.error(object.path_of(field.name), "is required"),
            None => {}
        }
    }
    Some(object)
}

/// Checks one value against a kind, reporting at `path`.
pub fn check_value(v: &mut Validator, path: &str, value: &Value, kind: &Kind) {
    match *kind {
        Kind::Text { min, max } => {
            v.string(path, value, min, max);
        }
        Kind::Enum(allowed) => {
            v.one_of(path, value, allowed);
        }
        Kind::Integer { min, max } => {
            v.integer(path, value, min, max);
        }
        Kind::IntegerEnum(allowed) => {
            v.integer_of(path, value, allowed);
        }
        Kind::Number { min, max } => {
            v.number(path, value, min, max);
        }
        Kind::Bool => {
            v.boolean(path, value);
        }
        Kind::Uuid => {
            v.uuid(path, value);
        }
        Kind::Language => {
            v.language(path, value);
        }
        Kind::Url(schemes) => {
            v.url(path, value, schemes);
        }
        Kind::Resolution {
            presets,
            width,
            height,
        } => {
            v.resolution(path, value, presets, width, height);
        }
        Kind::List {
            item,
            min,
            max,
            unique,
        } => {
            let Some(items) = v.array(path, value, min, max) else {
                return;
            };
            // (normalised value, path of its first occurrence)
            let mut seen: Vec<(String, String)> = Vec::new();
            for (item_path, item_value) in items {
                check_value(v, &item_path, item_value, item);
                if !unique {
                    continue;
                }
                // Tagged so that the string "5" and the number 5 stay distinct.
                let key = match item_value {
                    Value::String(s) => format!("s:{}", s.to_ascii_lowercase()),
                    other => format!("j:{other}"),
                };
                if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                    v.error(&item_path, format!("duplicate of {first}"));
                } else {
                    seen.push((key, item_path));
                }
            }
        }
        Kind::Object(fields) => {
            check_object(v, value, path, fields);
        }
        Kind::Custom => {}
    }
}

/// The JSON Schema (draft 2020-12) of an object with these fields: `type`, `properties`,
/// `required`, `additionalProperties: false`.
pub fn object_schema(fields: &[Field]) -> Value {
    let mut properties = Map::new();
    for field in fields {
        let mut schema = kind_schema(&field.kind);
        if !field.description.is_empty()
            && let Some(map) = schema.as_object_mut()
        {
            map.insert("description".into(), field.description.into());
        }
        properties.insert(field.name.into(), schema);
    }
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// The JSON Schema of a whole config: [`object_schema`] with `$schema`, `$id`, `title` and
/// `description`.
pub fn config_schema(job_type: &str, description: &str, fields: &[Field]) -> Value {
    let mut schema = object_schema(fields);
    let map = schema
        .as_object_mut()
        .expect("object_schema returns an object");
    map.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    map.insert(
        "$id".into(),
        format!("urn:story-genius:job-type:{job_type}").into(),
    );
    map.insert(
        "title".into(),
        format!("{job_type} job configuration").into(),
    );
    map.insert("description".into(), description.into());
    schema
}

/// The schema rule matching [`Validator::exactly_one`]: exactly one of `a`, `b` present.
pub fn exactly_one_schema(a: &str, b: &str) -> Value {
    json!({"oneOf": [{"required": [a]}, {"required": [b]}]})
}

/// The JSON Schema of one kind of value.
pub fn kind_schema(kind: &Kind) -> Value {
    match *kind {
        Kind::Text { min, max } => {
            let mut s = json!({"type": "string", "minLength": min, "maxLength": max});
            if min > 0 {
                s["pattern"] = "\\S".into();
            }
            s
        }
        Kind::Enum(allowed) => json!({"type": "string", "enum": allowed}),
        Kind::Integer { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Kind::IntegerEnum(allowed) => json!({"type": "integer", "enum": allowed}),
        Kind::Number { min, max } => json!({"type": "number", "minimum": min, "maximum": max}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Uuid => json!({
            "type": "string",
            "format": "uuid",
            "pattern": "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
        }),
        Kind::Language => json!({
            "type": "string",
            "maxLength": 64,
            "pattern": "^[A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(-[0-9A-WYZa-wyz](-[A-Za-z0-9]{2,8})+)*(-[Xx](-[A-Za-z0-9]{1,8})+)?$",
        }),
        Kind::Url(schemes) => json!({
            "type": "string",
            "maxLength": 2048,
            "pattern": url_pattern(schemes),
        }),
        Kind::Resolution {
            presets,
            width,
            height,
        } => json!({
            "type": "string",
            "anyOf": [
                {"enum": presets},
                {"pattern": format!(
                    "^(?:{})x(?:{})$",
                    range_pattern(width.0, width.1),
                    range_pattern(height.0, height.1)
                )},
            ],
        }),
        Kind::List {
            item,
            min,
            max,
            unique,
        } => {
            let mut s = json!({
                "type": "array",
                "items": kind_schema(item),
                "minItems": min,
                "maxItems": max,
            });
            if unique {
                s["uniqueItems"] = true.into();
            }
            s
        }
        Kind::Object(fields) => object_schema(fields),
        Kind::Custom => json!({}),
    }
}

/// A pattern for URLs with one of `schemes`, matching [`crate::formats::is_url`]. Written
/// without inline flags, which ECMA-262 regexes (what JSON Schema uses) may lack.
pub fn url_pattern(schemes: &[&str]) -> String {
    let alternatives: Vec<String> = schemes
        .iter()
        .map(|scheme| {
            scheme
                .chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                    } else if c.is_ascii_alphanumeric() {
                        c.to_string()
                    } else {
                        format!("\\{c}")
                    }
                })
                .collect()
        })
        .collect();
    format!("^(?:{})://[^/?#\\s]+\\S*$", alternatives.join("|"))
}

/// A regex alternation matching the decimal numbers `min..=max` (no leading zeros), so a
/// schema can bound the numbers inside a string like `1280x720`.
pub fn range_pattern(min: u32, max: u32) -> String {
    let mut alternatives = Vec::new();
    for digits in 1..=10u32 {
        let (low, high) = (10u64.pow(digits - 1), 10u64.pow(digits) - 1);
        let lo = u64::from(min).max(if digits == 1 { 0 } else { low });
        let hi = u64::from(max).min(high);
        if lo <= hi {
            same_length_ranges(&lo.to_string(), &hi.to_string(), "", &mut alternatives);
        }
    }
    alternatives.join("|")
}

/// Appends patterns for `lo..=hi`, two digit strings of the same length, each prefixed.
fn same_length_ranges(lo: &str, hi: &str, prefix: &str, out: &mut Vec<String>) {
    let rest = lo.len() - 1;
    let any = |n: usize| match n {
        0 => String::new(),
        1 => "[0-9]".to_owned(),
        n => format!("[0-9]{{{n}}}"),
    };
    let class = |a: u8, b: u8| {
        if a == b {
            (a as char).to_string()
        } else {
            format!("[{}-{}]", a as char, b as char)
        }
    };
    let (l, h) = (lo.as_bytes()[0], hi.as_bytes()[0]);
    if rest == 0 {
        out.push(format!("{prefix}{}", class(l, h)));
        return;
    }
    if l == h {
        let prefix = format!("{prefix}{}", l as char);
        same_length_ranges(&lo[1..], &hi[1..], &prefix, out);
        return;
    }
    let (zeros, nines) = ("0".repeat(rest), "9".repeat(rest));
    let (mut first, mut last) = (l, h);
    if lo[1..] != zeros {
        same_length_ranges(&lo[1..], &nines, &format!("{prefix}{}", l as char), out);
        first += 1;
    }
    let hi_partial = hi[1..] != nines;
    if hi_partial {
        last -= 1;
    }
    if first <= last {
        out.push(format!("{prefix}{}{}", class(first, last), any(rest)));
    }
    if hi_partial {
        same_length_ranges(&zeros, &hi[1..], &format!("{prefix}{}", h as char), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LANGS: Kind = Kind::Language;
    const FIELDS: &[Field] = &[
        Field::required("name", Kind::Text { min: 1, max: 10 }, "A name."),
        Field::optional(
            "langs",
            Kind::List {
                item: &LANGS,
                min: 1,
                max: 5,
                unique: true,
            },
            "",
        ),
        Field::optional(
            "inner",
            Kind::Object(&[Field::required("n", Kind::Integer { min: 1, max: 2 }, "")]),
            "",
        ),
    ];

    fn fields_of(value: Value) -> Vec<String> {
        let mut v = Validator::new();
        check_object(&mut v, &value, "", FIELDS);
        v.errors().iter().map(|e| e.field.clone()).collect()
    }

    #[test]
    fn reports_missing_unknown_nested_and_duplicates() {
        assert_eq!(
            fields_of(json!({"x": 1, "langs": ["en", "EN", "de_DE"], "inner": {"m": 1}})),
            ["x", "name", "langs[1]", "langs[2]", "inner.m", "inner.n"]
        );
        assert!(fields_of(json!({"name": "a", "inner": {"n": 2}})).is_empty());
    }

    #[test]
    fn range_patterns_match_exactly_the_range() {
        for (min, max) in [
            (320, 3840),
            (180, 2160),
            (0, 9),
            (5, 123),
            (1, 100),
            (99, 101),
        ] {
            let pattern = range_pattern(min, max);
            let alternatives: Vec<&str> = pattern.split('|').collect();
            for n in 0..5000u32 {
                let text = n.to_string();
                let matched = alternatives.iter().any(|a| simple_match(a, &text));
                assert_eq!(matched, (min..=max).contains(&n), "{n} against {pattern}");
            }
        }
    }

    /// Matches the tiny regex subset `range_pattern` emits: digits, `[a-b]`, `[0-9]{n}`.
    fn simple_match(pattern: &str, text: &str) -> bool {
        let mut classes: Vec<(u8, u8)> = Vec::new();
        let p = pattern.as_bytes();
        let mut i = 0;
        while i < p.len() {
            if p[i] == b'[' {
                classes.push((p[i + 1], p[i + 3]));
                i += 5;
            } else if p[i] == b'{' {
                let end = i + pattern[i..].find('}').unwrap();
                let n: usize = pattern[i + 1..end].parse().unwrap();
                let last = *classes.last().unwrap();
                classes.extend(std::iter::repeat_n(last, n - 1));
                i = end + 1;
            } else {
                classes.push((p[i], p[i]));
                i += 1;
            }
        }
        classes.len() == text.len()
            && classes
                .iter()
                .zip(text.bytes())
                .all(|((a, b), c)| (*a..=*b).contains(&c))
    }

    #[test]
    fn url_patterns_ignore_scheme_case() {
        assert_eq!(
            url_pattern(&["s3", "gs"]),
            "^(?:[sS]3|[gG][sS])://[^/?#\\s]+\\S*$"
        );
    }

    #[test]
    fn schema_lists_required_and_forbids_extras() {
        let s = config_schema("demo", "Demo.", FIELDS);
        assert_eq!(s["required"], json!(["name"]));
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(s["properties"]["inner"]["required"], json!(["n"]));
        assert_eq!(s["properties"]["langs"]["uniqueItems"], json!(true));
    }
}
