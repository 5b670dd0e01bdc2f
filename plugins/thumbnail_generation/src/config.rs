//! The `thumbnail_generation` config: thumbnails for a video or a project (exactly one), how
//! many, how big (a `size` preset or `WIDTHxHEIGHT`, or `width` with `height`), and how they
//! look.

use plugin_common::spec::{check_object, config_schema, exactly_one_schema};
use plugin_common::{Field, JobPlugin, Kind, Validator};
use serde_json::{Value, json};

/// The `thumbnail_generation` job type.
pub struct ThumbnailGeneration;

const WIDTH: (u32, u32) = (320, 3840);
const HEIGHT: (u32, u32) = (180, 2160);

const FIELDS: &[Field] = &[
    Field::optional(
        "video_id",
        Kind::Uuid,
        "The video to make thumbnails for; give this or `project_id`, not both.",
    ),
    Field::optional(
        "project_id",
        Kind::Uuid,
        "The project to make thumbnails for; give this or `video_id`, not both.",
    ),
    Field::optional(
        "count",
        Kind::Integer { min: 1, max: 10 },
        "How many variants to make.",
    ),
    Field::optional(
        "size",
        Kind::Resolution {
            presets: &["youtube", "shorts", "square", "portrait"],
            width: WIDTH,
            height: HEIGHT,
        },
        "A preset (youtube 1280x720, shorts 1080x1920, square 1080x1080, portrait 1080x1350) \
         or WIDTHxHEIGHT with width 320-3840 and height 180-2160; not with width/height.",
    ),
    Field::optional(
        "width",
        Kind::Integer {
            min: WIDTH.0 as i64,
            max: WIDTH.1 as i64,
        },
        "Width in pixels; needs `height`, not with `size`.",
    ),
    Field::optional(
        "height",
        Kind::Integer {
            min: HEIGHT.0 as i64,
            max: HEIGHT.1 as i64,
        },
        "Height in pixels; needs `width`, not with `size`.",
    ),
    Field::optional(
        "style",
        Kind::Enum(&["photo", "illustration", "bold_text", "minimal", "collage"]),
        "Visual style.",
    ),
    Field::optional(
        "text_overlay",
        Kind::Text { min: 0, max: 100 },
        "Text drawn on the thumbnail; empty for none.",
    ),
    Field::optional(
        "format",
        Kind::Enum(&["png", "jpeg", "webp"]),
        "Image format.",
    ),
];

impl JobPlugin for ThumbnailGeneration {
    const JOB_TYPE: &'static str = "thumbnail_generation";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Generates thumbnail images for a video or a project.";

    fn schema() -> Value {
        let mut schema = config_schema(Self::JOB_TYPE, Self::DESCRIPTION, FIELDS);
        schema["dependentRequired"] = json!({"width": ["height"], "height": ["width"]});
        schema["allOf"] = json!([
            exactly_one_schema("video_id", "project_id"),
            {
                "if": {"required": ["size"]},
                "then": {"properties": {"width": false, "height": false}},
            },
        ]);
        schema
    }

    fn example() -> Value {
        json!({
            "video_id": "0190b3c5-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
            "count": 3,
            "size": "youtube",
            "style": "bold_text",
            "text_overlay": "Octopuses are geniuses",
            "format": "webp",
        })
    }

    fn check(v: &mut Validator, config: &Value, path: &str) {
        let Some(object) = check_object(v, config, path, FIELDS) else {
            return;
        };
        v.exactly_one(&object, "video_id", "project_id");
        match (object.has("width"), object.has("height")) {
            (true, false) => v.error(object.path_of("height"), "is required when width is given"),
            (false, true) => v.error(object.path_of("width"), "is required when height is given"),
            _ => {}
        }
        if object.has("width") || object.has("height") {
            v.not_allowed(&object, "size", "together with width/height");
        }
    }
}
