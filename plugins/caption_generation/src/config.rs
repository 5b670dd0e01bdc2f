//! The `caption_generation` config: which video, which languages, and the caption file
//! format and layout.

use plugin_common::spec::{check_object, config_schema};
use plugin_common::{Field, JobPlugin, Kind, Validator};
use serde_json::{Value, json};

/// The `caption_generation` job type.
pub struct CaptionGeneration;

const LANGUAGE: Kind = Kind::Language;

const FIELDS: &[Field] = &[
    Field::required("video_id", Kind::Uuid, "The video to caption."),
    Field::required(
        "languages",
        Kind::List {
            item: &LANGUAGE,
            min: 1,
            max: 20,
            unique: true,
        },
        "Caption languages, BCP 47 tags, no repeats (case-insensitive).",
    ),
    Field::optional(
        "format",
        Kind::Enum(&["srt", "vtt", "ttml"]),
        "Caption file format.",
    ),
    Field::optional(
        "max_line_length",
        Kind::Integer { min: 20, max: 80 },
        "Longest caption line, in characters.",
    ),
    Field::optional(
        "burn_in",
        Kind::Bool,
        "Render the captions into the video picture; needs exactly one language.",
    ),
];

impl JobPlugin for CaptionGeneration {
    const JOB_TYPE: &'static str = "caption_generation";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Generates caption files for a video in one or more languages.";

    fn schema() -> Value {
        let mut schema = config_schema(Self::JOB_TYPE, Self::DESCRIPTION, FIELDS);
        schema["allOf"] = json!([{
            "if": {"properties": {"burn_in": {"const": true}}, "required": ["burn_in"]},
            "then": {"properties": {"languages": {"maxItems": 1}}},
        }]);
        schema
    }

    fn example() -> Value {
        json!({
            "video_id": "0190b3c5-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
            "languages": ["en-US", "es-419", "pt-BR"],
            "format": "vtt",
            "max_line_length": 42,
            "burn_in": false,
        })
    }

    fn check(v: &mut Validator, config: &Value, path: &str) {
        let Some(object) = check_object(v, config, path, FIELDS) else {
            return;
        };
        // Only one caption track can be drawn into the picture.
        let burn_in = object.get("burn_in").and_then(Value::as_bool) == Some(true);
        let languages = object
            .get("languages")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if burn_in && languages > 1 {
            v.error(
                object.path_of("burn_in"),
                "can only be true with exactly one language",
            );
        }
    }
}
