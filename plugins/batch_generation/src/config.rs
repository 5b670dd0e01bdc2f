//! The `batch_generation` config: a list of items, each a job of another built-in job type
//! (`job_type`) with that type's full config (`config`), run as one execution. Each item's
//! config is checked by its own job type, so errors carry paths like `items[1].config.title`.

use plugin_common::run::{JobSystem, Outcome, Request, Submission, run_batch};
use plugin_common::spec::{check_object, config_schema};
use plugin_common::validator::as_integer;
use plugin_common::{Field, JobPlugin, Kind, Validator};
use serde_json::{Map, Value, json};

// The item job types' configs, compiled in from their own crates so a batch checks an item
// exactly as that plugin would. Public for the native tests, which reach them through here
// (a file may be compiled in only once per crate).
#[path = "../../caption_generation/src/config.rs"]
pub mod caption_generation;
#[path = "../../export/src/config.rs"]
pub mod export;
#[path = "../../script_generation/src/config.rs"]
pub mod script_generation;
#[path = "../../thumbnail_generation/src/config.rs"]
pub mod thumbnail_generation;
#[path = "../../video_generation/src/config.rs"]
pub mod video_generation;

use caption_generation::CaptionGeneration;
use export::Export;
use script_generation::ScriptGeneration;
use thumbnail_generation::ThumbnailGeneration;
use video_generation::VideoGeneration;

/// The `batch_generation` job type.
pub struct BatchGeneration;

/// The job types an item may have: every built-in one but a batch.
const ITEM_JOB_TYPES: &[&str] = &[
    VideoGeneration::JOB_TYPE,
    ScriptGeneration::JOB_TYPE,
    CaptionGeneration::JOB_TYPE,
    ThumbnailGeneration::JOB_TYPE,
    Export::JOB_TYPE,
];

const ITEM_FIELDS: &[Field] = &[
    Field::required(
        "job_type",
        Kind::Enum(ITEM_JOB_TYPES),
        "The item's job type.",
    ),
    Field::required(
        "config",
        Kind::Custom,
        "The item's config, as that job type's own schema defines it.",
    ),
    Field::optional(
        "title",
        Kind::Text { min: 1, max: 200 },
        "A label for the item.",
    ),
];

const ITEM: Kind = Kind::Object(ITEM_FIELDS);

const MAX_PARALLEL: i64 = 16;

const FIELDS: &[Field] = &[
    Field::required(
        "items",
        Kind::List {
            item: &ITEM,
            min: 1,
            max: 100,
            unique: false,
        },
        "The jobs to run: each `{job_type, config, title?}`, where `job_type` is one of \
         video_generation, script_generation, caption_generation, thumbnail_generation, export \
         and `config` is a config of that job type. Each item is one job-system job.",
    ),
    Field::optional(
        "max_parallel",
        Kind::Integer {
            min: 1,
            max: MAX_PARALLEL,
        },
        "At most this many items in flight at once; all of them when absent.",
    ),
    Field::optional(
        "stop_on_failure",
        Kind::Bool,
        "Submit no further items once one has failed (they are reported as skipped).",
    ),
    Field::optional(
        "name",
        Kind::Text { min: 1, max: 200 },
        "A label for the batch.",
    ),
];

/// The checks of an item job type.
fn item_check(job_type: &str) -> Option<fn(&mut Validator, &Value, &str)> {
    Some(match job_type {
        VideoGeneration::JOB_TYPE => VideoGeneration::check,
        ScriptGeneration::JOB_TYPE => ScriptGeneration::check,
        CaptionGeneration::JOB_TYPE => CaptionGeneration::check,
        ThumbnailGeneration::JOB_TYPE => ThumbnailGeneration::check,
        Export::JOB_TYPE => Export::check,
        _ => return None,
    })
}

/// An item job type's schema, without the keywords that only belong at a document's root.
fn item_schema<P: JobPlugin>() -> (&'static str, Value) {
    let mut schema = P::schema();
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
        map.remove("$id");
    }
    (P::JOB_TYPE, schema)
}

impl JobPlugin for BatchGeneration {
    const JOB_TYPE: &'static str = "batch_generation";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Runs a list of video, script, caption, thumbnail and export jobs as one execution.";

    fn schema() -> Value {
        let mut schema = config_schema(Self::JOB_TYPE, Self::DESCRIPTION, FIELDS);
        let defs: Map<String, Value> = [
            item_schema::<VideoGeneration>(),
            item_schema::<ScriptGeneration>(),
            item_schema::<CaptionGeneration>(),
            item_schema::<ThumbnailGeneration>(),
            item_schema::<Export>(),
        ]
        .into_iter()
        .map(|(job_type, schema)| (job_type.to_owned(), schema))
        .collect();
        let rules: Vec<Value> = ITEM_JOB_TYPES
            .iter()
            .map(|job_type| {
                json!({
                    "if": {"properties": {"job_type": {"const": job_type}}, "required": ["job_type"]},
                    "then": {"properties": {"config": {"$ref": format!("#/$defs/{job_type}")}}},
                })
            })
            .collect();
        let item = &mut schema["properties"]["items"]["items"];
        item["properties"]["config"]["type"] = "object".into();
        item["allOf"] = rules.into();
        schema["$defs"] = defs.into();
        schema
    }

    fn example() -> Value {
        json!({
            "name": "Octopus week",
            "items": [
                {
                    "job_type": ScriptGeneration::JOB_TYPE,
                    "title": "Script",
                    "config": ScriptGeneration::example(),
                },
                {
                    "job_type": VideoGeneration::JOB_TYPE,
                    "title": "Video",
                    "config": VideoGeneration::example(),
                },
                {
                    "job_type": ThumbnailGeneration::JOB_TYPE,
                    "title": "Thumbnails",
                    "config": ThumbnailGeneration::example(),
                },
            ],
            "max_parallel": 2,
            "stop_on_failure": false,
        })
    }

    fn check(v: &mut Validator, config: &Value, path: &str) {
        let Some(object) = check_object(v, config, path, FIELDS) else {
            return;
        };
        let items_path = object.path_of("items");
        let Some(items) = object.get("items").and_then(Value::as_array) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let (Some(item), Some(config)) = (item.as_object(), item.get("config")) else {
                continue;
            };
            let config_path = format!("{items_path}[{i}].config");
            let job_type = item.get("job_type").and_then(Value::as_str);
            match job_type.and_then(item_check) {
                Some(check) => check(v, config, &config_path),
                // Without a valid job type there is no schema to check against; still, a
                // config is always an object.
                None if !config.is_object() => v.error(config_path, "must be a JSON object"),
                None => {}
            }
        }
    }

    fn run(js: &dyn JobSystem, request: &Request, config: &Value) -> Result<Outcome, String> {
        let items = config["items"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let submissions: Vec<Submission> = items
            .iter()
            .enumerate()
            .map(|(i, item)| Submission {
                job_type: item["job_type"].as_str().unwrap_or_default().to_owned(),
                config: item["config"].clone(),
                batch: json!({
                    "index": i,
                    "total": items.len(),
                    "title": item.get("title"),
                    "name": config.get("name"),
                }),
                idempotency_key: format!("{}:{i}", request.execution_id),
            })
            .collect();
        let max_parallel = config
            .get("max_parallel")
            .and_then(as_integer)
            .map_or(submissions.len(), |n| n as usize);
        let stop_on_failure = config
            .get("stop_on_failure")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        run_batch(
            js,
            request,
            Self::JOB_TYPE,
            &submissions,
            max_parallel,
            stop_on_failure,
        )
    }
}
