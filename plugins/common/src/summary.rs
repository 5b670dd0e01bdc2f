//! Deterministic JSON for summaries and payloads: the same content always gives the same
//! text, whatever order the fields were inserted in (so a stored `result_summary` or a
//! re-submitted payload compares equal).

use serde_json::{Map, Value};

/// `value` as compact JSON with object keys sorted at every level.
pub fn to_json(value: &Value) -> String {
    sorted(value).to_string()
}

/// A JSON object with these fields, as deterministic text.
pub fn summary<'a>(fields: impl IntoIterator<Item = (&'a str, Value)>) -> String {
    let map: Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    to_json(&Value::Object(map))
}

/// A job's result as JSON: parsed when it is JSON text, kept as a string when it is not
/// (a job system is free to return plain text), `null` when there is none.
pub fn result_value(result: Option<&str>) -> Value {
    match result {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into())),
    }
}

// serde_json keeps insertion order when its `preserve_order` feature is on (any crate in the
// build can turn it on), so sort explicitly instead of relying on the default BTreeMap.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_level() {
        let text = summary([
            ("b", json!({"z": 1, "a": [{"y": 1, "x": 2}]})),
            ("a", json!(null)),
        ]);
        assert_eq!(text, r#"{"a":null,"b":{"a":[{"x":2,"y":1}],"z":1}}"#);
    }

    #[test]
    fn results_parse_when_they_are_json() {
        assert_eq!(result_value(Some(r#"{"url":"u"}"#)), json!({"url": "u"}));
        assert_eq!(result_value(Some("done")), json!("done"));
        assert_eq!(result_value(None), Value::Null);
    }
}
