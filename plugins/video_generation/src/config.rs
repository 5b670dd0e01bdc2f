//! The `video_generation` config: which project, what the video says (a finished `script`
//! or a `prompt` to write one from — exactly one), and how it looks and sounds.

use plugin_common::spec::{check_object, config_schema, exactly_one_schema};
use plugin_common::{Field, JobPlugin, Kind, Validator};
use serde_json::{Value, json};

/// The `video_generation` job type.
pub struct VideoGeneration;

const FIELDS: &[Field] = &[
    Field::required(
        "project_id",
        Kind::Uuid,
        "The project the video belongs to.",
    ),
    Field::required(
        "title",
        Kind::Text { min: 1, max: 200 },
        "Title of the video.",
    ),
    Field::optional(
        "script",
        Kind::Text {
            min: 1,
            max: 20_000,
        },
        "The narration script to produce; give this or `prompt`, not both.",
    ),
    Field::optional(
        "prompt",
        Kind::Text {
            min: 1,
            max: 20_000,
        },
        "What the video should be about, for a script to be written from; give this or \
         `script`, not both.",
    ),
    Field::optional(
        "duration_seconds",
        Kind::Integer { min: 5, max: 3600 },
        "Target length in seconds.",
    ),
    Field::optional(
        "aspect_ratio",
        Kind::Enum(&["16:9", "9:16", "1:1", "4:5"]),
        "Frame shape.",
    ),
    Field::optional(
        "resolution",
        Kind::Enum(&["720p", "1080p", "1440p", "2160p"]),
        "Output resolution (height of the shorter side).",
    ),
    Field::optional(
        "voice",
        Kind::Text { min: 1, max: 100 },
        "Narrator voice id.",
    ),
    Field::optional(
        "voice_speed",
        Kind::Number { min: 0.5, max: 2.0 },
        "Narration speed, 1 being normal.",
    ),
    Field::optional(
        "language",
        Kind::Language,
        "Narration language, a BCP 47 tag.",
    ),
    Field::optional(
        "style",
        Kind::Enum(&[
            "cinematic",
            "documentary",
            "animated",
            "explainer",
            "slideshow",
            "vlog",
        ]),
        "Visual style.",
    ),
    Field::optional("music", Kind::Bool, "Whether to add background music."),
    Field::optional(
        "folder_id",
        Kind::Uuid,
        "Folder to file the finished video in.",
    ),
];

impl JobPlugin for VideoGeneration {
    const JOB_TYPE: &'static str = "video_generation";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Generates a video for a project from a script or a prompt.";

    fn schema() -> Value {
        let mut schema = config_schema(Self::JOB_TYPE, Self::DESCRIPTION, FIELDS);
        schema["allOf"] = json!([exactly_one_schema("script", "prompt")]);
        schema
    }

    fn example() -> Value {
        json!({
            "project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90",
            "title": "Five facts about octopuses",
            "prompt": "A playful explainer about how clever octopuses are.",
            "duration_seconds": 60,
            "aspect_ratio": "9:16",
            "resolution": "1080p",
            "voice": "narrator-warm",
            "voice_speed": 1.1,
            "language": "en-US",
            "style": "explainer",
            "music": true,
        })
    }

    fn check(v: &mut Validator, config: &Value, path: &str) {
        if let Some(object) = check_object(v, config, path, FIELDS) {
            v.exactly_one(&object, "script", "prompt");
        }
    }
}
