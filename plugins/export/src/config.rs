//! The `export` config: which project, the container format, picture settings (video formats
//! only), quality, and where the file goes.

use plugin_common::spec::{check_object, config_schema, url_pattern};
use plugin_common::validator::join;
use plugin_common::{Field, JobPlugin, Kind, Validator};
use serde_json::{Value, json};

/// The `export` job type.
pub struct Export;

const AUDIO_FORMATS: &[&str] = &["mp3", "wav"];

/// Destination kinds that need a `path`, with the URL scheme the path must have.
const REMOTE_KINDS: &[(&str, &str)] = &[("s3", "s3"), ("gcs", "gs"), ("youtube", "https")];

const DESTINATION: &[Field] = &[
    Field::required(
        "kind",
        Kind::Enum(&["download", "s3", "gcs", "youtube"]),
        "Where the exported file goes.",
    ),
    Field::optional(
        "path",
        Kind::Custom,
        "Target URL: s3://bucket/key for s3, gs://bucket/key for gcs, an https:// channel or \
         playlist URL for youtube; required for those kinds, not allowed for download.",
    ),
];

const FIELDS: &[Field] = &[
    Field::required("project_id", Kind::Uuid, "The project to export."),
    Field::required(
        "format",
        Kind::Enum(&["mp4", "mov", "webm", "gif", "mp3", "wav"]),
        "Container format; mp3 and wav export the audio only.",
    ),
    Field::optional(
        "resolution",
        Kind::Enum(&["480p", "720p", "1080p", "1440p", "2160p"]),
        "Picture resolution; not allowed with audio formats.",
    ),
    Field::optional(
        "fps",
        Kind::IntegerEnum(&[24, 25, 30, 50, 60]),
        "Frames per second; not allowed with audio formats.",
    ),
    Field::optional(
        "quality",
        Kind::Enum(&["low", "medium", "high", "lossless"]),
        "Encoding quality.",
    ),
    Field::optional(
        "destination",
        Kind::Object(DESTINATION),
        "Where the file goes; a download link when absent.",
    ),
    Field::optional(
        "include_captions",
        Kind::Bool,
        "Whether to include caption tracks.",
    ),
];

impl JobPlugin for Export {
    const JOB_TYPE: &'static str = "export";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Renders a project to a video, GIF or audio file and delivers it to a destination.";

    fn schema() -> Value {
        let mut schema = config_schema(Self::JOB_TYPE, Self::DESCRIPTION, FIELDS);
        schema["allOf"] = json!([{
            "if": {
                "properties": {"format": {"enum": AUDIO_FORMATS}},
                "required": ["format"],
            },
            "then": {"properties": {"resolution": false, "fps": false}},
        }]);
        let destination = &mut schema["properties"]["destination"];
        destination["properties"]["path"]["type"] = "string".into();
        destination["properties"]["path"]["maxLength"] = 2048.into();
        let mut rules = vec![json!({
            "if": {"properties": {"kind": {"const": "download"}}, "required": ["kind"]},
            "then": {"properties": {"path": false}},
        })];
        for (kind, scheme) in REMOTE_KINDS {
            rules.push(json!({
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {
                    "required": ["path"],
                    "properties": {"path": {"pattern": url_pattern(&[scheme])}},
                },
            }));
        }
        destination["allOf"] = rules.into();
        schema
    }

    fn example() -> Value {
        json!({
            "project_id": "0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90",
            "format": "mp4",
            "resolution": "1080p",
            "fps": 30,
            "quality": "high",
            "destination": {"kind": "s3", "path": "s3://story-genius-exports/octopus/"},
            "include_captions": true,
        })
    }

    fn check(v: &mut Validator, config: &Value, path: &str) {
        let Some(object) = check_object(v, config, path, FIELDS) else {
            return;
        };
        if let Some(format) = object.get("format").and_then(Value::as_str)
            && AUDIO_FORMATS.contains(&format)
        {
            let when = format!("with audio format {format}");
            v.not_allowed(&object, "resolution", &when);
            v.not_allowed(&object, "fps", &when);
        }
        if let Some(destination) = object.get("destination").and_then(Value::as_object) {
            let path = join(&object.path_of("destination"), "path");
            let kind = destination.get("kind").and_then(Value::as_str);
            let scheme = REMOTE_KINDS
                .iter()
                .find(|(k, _)| Some(*k) == kind)
                .map(|(_, s)| *s);
            match (kind, scheme, destination.get("path")) {
                (Some("download"), _, Some(_)) => v.error(path, "is not allowed for kind download"),
                (Some(kind), Some(_), None) => {
                    v.error(path, format!("is required for kind {kind}"))
                }
                (_, Some(scheme), Some(value)) => {
                    v.url(&path, value, &[scheme]);
                }
                // An unknown kind is reported on `kind`; the path cannot be judged without it.
                _ => {}
            }
        }
    }
}
