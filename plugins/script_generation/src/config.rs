//! The `script_generation` config: a topic, and the shape, length, tone and language of the
//! script to write about it.

use plugin_common::spec::{check_object, config_schema};
use plugin_common::validator::as_integer;
use plugin_common::{Field, JobPlugin, Kind, Validator};
use serde_json::{Value, json};

/// The `script_generation` job type.
pub struct ScriptGeneration;

/// A `short` script is read in about a minute; more words than this do not fit.
const SHORT_MAX_WORDS: i64 = 300;

const KEYWORD: Kind = Kind::Text { min: 1, max: 50 };

const FIELDS: &[Field] = &[
    Field::required(
        "topic",
        Kind::Text { min: 1, max: 500 },
        "What the script is about.",
    ),
    Field::optional(
        "format",
        Kind::Enum(&["short", "long", "listicle", "tutorial", "story"]),
        "Shape of the script; `short` allows at most 300 target words.",
    ),
    Field::optional(
        "target_words",
        Kind::Integer {
            min: 50,
            max: 10_000,
        },
        "Approximate length in words.",
    ),
    Field::optional(
        "tone",
        Kind::Enum(&[
            "neutral",
            "casual",
            "professional",
            "humorous",
            "inspirational",
            "educational",
            "dramatic",
        ]),
        "Tone of voice.",
    ),
    Field::optional(
        "language",
        Kind::Language,
        "Language to write in, a BCP 47 tag.",
    ),
    Field::optional(
        "audience",
        Kind::Text { min: 1, max: 200 },
        "Who the script is for.",
    ),
    Field::optional(
        "keywords",
        Kind::List {
            item: &KEYWORD,
            min: 0,
            max: 20,
            unique: true,
        },
        "Words or phrases the script should use (no repeats, case-insensitive).",
    ),
];

impl JobPlugin for ScriptGeneration {
    const JOB_TYPE: &'static str = "script_generation";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Writes a video script on a topic in a chosen format, length, tone and language.";

    fn schema() -> Value {
        let mut schema = config_schema(Self::JOB_TYPE, Self::DESCRIPTION, FIELDS);
        schema["allOf"] = json!([{
            "if": {"properties": {"format": {"const": "short"}}, "required": ["format"]},
            "then": {"properties": {"target_words": {"maximum": SHORT_MAX_WORDS}}},
        }]);
        schema
    }

    fn example() -> Value {
        json!({
            "topic": "Why octopuses are so clever",
            "format": "short",
            "target_words": 150,
            "tone": "humorous",
            "language": "en-US",
            "audience": "curious teenagers",
            "keywords": ["octopus", "intelligence"],
        })
    }

    fn check(v: &mut Validator, config: &Value, path: &str) {
        let Some(object) = check_object(v, config, path, FIELDS) else {
            return;
        };
        let short = object.get("format").and_then(Value::as_str) == Some("short");
        let words = object.get("target_words").and_then(as_integer);
        if short && words.is_some_and(|n| n > SHORT_MAX_WORDS) {
            v.error(
                object.path_of("target_words"),
                format!("must be at most {SHORT_MAX_WORDS} for format short"),
            );
        }
    }
}
