//! Native tests of the six built-in plugins' pure modules (their `config.rs`, compiled in
//! here by path since the plugin crates themselves only build for wasm32-wasip2):
//!
//! - every case of `plugins/testdata/validation_cases.json` gives exactly its listed field
//!   paths (the host runs the same file through the real components);
//! - each plugin's published JSON Schema accepts a case exactly when `validate` does;
//! - `info` and `run` behave (example accepted, idempotency keys, invalid config refused).

use std::cell::RefCell;
use std::collections::BTreeMap;

use plugin_common::JobPlugin;
use plugin_common::plugin::{info, run, validate};
use plugin_common::run::{JobState, JobStatus, JobSystem, Request};
use serde_json::{Value, json};

// The batch's config compiles in the five others; they are reached through it.
#[path = "../../batch_generation/src/config.rs"]
mod batch_generation;

use batch_generation::BatchGeneration;
use batch_generation::caption_generation::CaptionGeneration;
use batch_generation::export::Export;
use batch_generation::script_generation::ScriptGeneration;
use batch_generation::thumbnail_generation::ThumbnailGeneration;
use batch_generation::video_generation::VideoGeneration;

/// A plugin's entry points, by job type.
struct Entry {
    validate: fn(&str) -> Result<Value, Vec<plugin_common::FieldError>>,
    schema: fn() -> Value,
    example: fn() -> Value,
}

fn entry<P: JobPlugin>() -> (&'static str, Entry) {
    (
        P::JOB_TYPE,
        Entry {
            validate: validate::<P>,
            schema: P::schema,
            example: P::example,
        },
    )
}

fn plugins() -> BTreeMap<&'static str, Entry> {
    BTreeMap::from([
        entry::<VideoGeneration>(),
        entry::<BatchGeneration>(),
        entry::<ScriptGeneration>(),
        entry::<CaptionGeneration>(),
        entry::<ThumbnailGeneration>(),
        entry::<Export>(),
    ])
}

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/validation_cases.json"
    );
    let text = std::fs::read_to_string(path).expect("read validation_cases.json");
    serde_json::from_str(&text).expect("validation_cases.json is a JSON array")
}

fn fields_of(result: Result<Value, Vec<plugin_common::FieldError>>) -> Vec<String> {
    let mut fields: Vec<String> = result
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.field)
        .collect();
    fields.sort();
    fields
}

#[test]
fn every_case_reports_exactly_its_fields() {
    let plugins = plugins();
    let mut failures = Vec::new();
    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    for case in cases() {
        let job_type = case["job_type"].as_str().unwrap();
        let name = case["name"].as_str().unwrap();
        let plugin = plugins
            .get(job_type)
            .unwrap_or_else(|| panic!("unknown job type {job_type}"));
        let expected: Vec<String> = serde_json::from_value(case["errors"].clone()).unwrap();
        let mut sorted = expected.clone();
        sorted.sort();
        assert_eq!(
            expected, sorted,
            "{job_type} / {name}: `errors` must be sorted"
        );
        let result = (plugin.validate)(&case["config"].to_string());
        let messages = format!("{:?}", result.as_ref().err());
        let actual = fields_of(result);
        if actual != expected {
            failures.push(format!(
                "{job_type} / {name}: expected {expected:?}, got {actual:?} {messages}"
            ));
        }
        *per_type.entry(job_type.into()).or_default() += 1;
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(per_type.len(), 6, "every plugin has cases: {per_type:?}");
    eprintln!("cases per job type: {per_type:?}");
}

#[test]
fn schemas_agree_with_validate_on_every_case() {
    let plugins = plugins();
    let validators: BTreeMap<&str, jsonschema::Validator> = plugins
        .iter()
        .map(|(job_type, p)| {
            let schema = (p.schema)();
            let validator = jsonschema::draft202012::new(&schema)
                .unwrap_or_else(|e| panic!("{job_type}: schema does not compile: {e}"));
            (*job_type, validator)
        })
        .collect();
    let mut failures = Vec::new();
    for case in cases() {
        let job_type = case["job_type"].as_str().unwrap();
        let by_schema = validators[job_type].is_valid(&case["config"]);
        let by_validate = case["errors"].as_array().unwrap().is_empty();
        if by_schema != by_validate {
            failures.push(format!(
                "{job_type} / {}: schema says valid={by_schema}, validate says valid={by_validate}",
                case["name"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn case_file_has_each_example_and_a_multi_error_case() {
    let cases = cases();
    for (job_type, plugin) in plugins() {
        let example = cases
            .iter()
            .find(|c| c["job_type"] == job_type && c["name"] == "example")
            .unwrap_or_else(|| panic!("{job_type}: no `example` case"));
        assert_eq!(
            example["config"],
            (plugin.example)(),
            "{job_type}: example case is stale"
        );
        assert!(
            cases.iter().any(|c| c["job_type"] == job_type
                && c["errors"].as_array().is_some_and(|e| e.len() >= 3)),
            "{job_type}: no case with several errors"
        );
    }
}

#[test]
fn info_is_well_formed() {
    fn check<P: JobPlugin>() {
        let info = info::<P>();
        assert_eq!(info.job_type, P::JOB_TYPE);
        assert_eq!(info.version, "0.1.0");
        assert!(info.description.ends_with('.'));
        let schema: Value = serde_json::from_str(&info.config_schema).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["additionalProperties"], false);
        assert!(
            validate::<P>(&info.example_config).is_ok(),
            "{}",
            P::JOB_TYPE
        );
    }
    check::<VideoGeneration>();
    check::<BatchGeneration>();
    check::<ScriptGeneration>();
    check::<CaptionGeneration>();
    check::<ThumbnailGeneration>();
    check::<Export>();
}

#[test]
fn not_json_is_one_error_on_the_whole_config() {
    let errors = validate::<Export>("{not json").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "");
    assert!(
        errors[0].message.starts_with("not valid JSON"),
        "{}",
        errors[0].message
    );
}

#[test]
fn language_repeats_are_caught_whatever_the_case() {
    let config = json!({"video_id": "0190b3c5-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "languages": ["en-US", "en-us"]});
    let errors = validate::<CaptionGeneration>(&config.to_string()).unwrap_err();
    assert_eq!(errors[0].field, "languages[1]");
    assert_eq!(errors[0].message, "duplicate of languages[0]");
}

/// Records submissions; every job succeeds at once unless its payload mentions "doomed".
#[derive(Default)]
struct Recorder {
    submitted: RefCell<Vec<(String, Value, String)>>,
}

impl JobSystem for Recorder {
    fn submit(&self, job_type: &str, payload: &str, key: &str) -> Result<String, String> {
        let payload: Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        let mut submitted = self.submitted.borrow_mut();
        submitted.push((job_type.into(), payload, key.into()));
        Ok(format!("job-{}", submitted.len()))
    }

    fn wait(&self, job_id: &str, _timeout_ms: u32) -> Result<JobStatus, String> {
        let n: usize = job_id["job-".len()..].parse().unwrap();
        let doomed = self.submitted.borrow()[n - 1]
            .1
            .to_string()
            .contains("doomed");
        Ok(JobStatus {
            state: if doomed {
                JobState::Failed
            } else {
                JobState::Succeeded
            },
            result: (!doomed).then(|| format!(r#"{{"job":"{job_id}"}}"#)),
            error: doomed.then(|| "renderer crashed".into()),
        })
    }

    fn log(&self, _level: &str, _message: &str) {}
}

fn request(job_type: &str, config: &Value) -> Request {
    Request {
        execution_id: "0190b3c6-0000-7000-8000-000000000001".into(),
        schedule_id: "0190b3c6-0000-7000-8000-000000000002".into(),
        user_id: "0190b3c6-0000-7000-8000-000000000003".into(),
        job_type: job_type.into(),
        config: config.to_string(),
        scheduled_for: "2025-03-30T01:30:00Z".into(),
        attempt: 2,
        is_manual: true,
        episode: None,
    }
}

#[test]
fn single_job_plugins_submit_their_config_under_the_execution_id() {
    let js = Recorder::default();
    let req = request("export", &Export::example());
    let outcome = run::<Export>(&js, &req).unwrap();
    assert_eq!(outcome.job_id.as_deref(), Some("job-1"));
    let summary: Value = serde_json::from_str(&outcome.summary).unwrap();
    assert_eq!(
        summary,
        json!({"job_type": "export", "job_id": "job-1", "state": "succeeded", "result": {"job": "job-1"}})
    );
    let (job_type, payload, key) = js.submitted.borrow()[0].clone();
    assert_eq!(job_type, "export");
    assert_eq!(key, req.execution_id);
    assert_eq!(payload["config"], Export::example());
    assert_eq!(payload["attempt"], 2);
    assert_eq!(payload["is_manual"], true);
    assert_eq!(payload["episode"], Value::Null);
    assert_eq!(payload["scheduled_for"], "2025-03-30T01:30:00Z");
}

#[test]
fn an_invalid_config_is_refused_before_submitting() {
    let js = Recorder::default();
    let err = run::<VideoGeneration>(&js, &request("video_generation", &json!({"title": 5})))
        .unwrap_err();
    assert_eq!(
        err,
        "invalid config: project_id: is required; title: must be a string; \
         script: is required (or give prompt)"
    );
    assert!(js.submitted.borrow().is_empty());
}

#[test]
fn a_batch_submits_each_item_as_its_own_job() {
    let js = Recorder::default();
    let req = request("batch_generation", &BatchGeneration::example());
    let outcome = run::<BatchGeneration>(&js, &req).unwrap();
    assert_eq!(outcome.job_id.as_deref(), Some("job-1"));
    let submitted = js.submitted.borrow();
    let seen: Vec<(&str, &str)> = submitted
        .iter()
        .map(|(t, _, k)| (t.as_str(), k.as_str()))
        .collect();
    let key = |i: usize| format!("{}:{i}", req.execution_id);
    assert_eq!(
        seen,
        [
            ("script_generation", key(0).as_str()),
            ("video_generation", key(1).as_str()),
            ("thumbnail_generation", key(2).as_str()),
        ]
    );
    assert_eq!(submitted[1].1["config"], VideoGeneration::example());
    assert_eq!(
        submitted[1].1["batch"],
        json!({"index": 1, "total": 3, "title": "Video", "name": "Octopus week"})
    );
    let summary: Value = serde_json::from_str(&outcome.summary).unwrap();
    assert_eq!(
        (summary["succeeded"].clone(), summary["failed"].clone()),
        (json!(3), json!(0))
    );
    assert_eq!(summary["items"][2]["job_id"], "job-3");
}

#[test]
fn a_failed_batch_item_fails_the_run_and_is_named() {
    let js = Recorder::default();
    let mut config = BatchGeneration::example();
    config["items"][1]["config"]["title"] = "doomed".into();
    let err = run::<BatchGeneration>(&js, &request("batch_generation", &config)).unwrap_err();
    assert_eq!(
        err,
        "1 of 3 batch items failed: items[1] (job job-2): failed: renderer crashed"
    );
}
