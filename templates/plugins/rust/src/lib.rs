//! The `{{name}}` job type for sgsched: a Wasm component of the `job-plugin` world
//! (`wit/scheduler.wit`). Build: `cargo build --release --target wasm32-wasip2`.

use serde_json::{Value, json};

wit_bindgen::generate!({ path: "wit", world: "job-plugin" });

use exports::story_genius::scheduler::job_runner::{FieldError, Guest, JobOutcome, JobRequest, PluginInfo};
use story_genius::scheduler::job_system::{self, JobState};

const JOB_TYPE: &str = "{{name}}";
const FIELDS: [&str; 1] = ["message"];

struct Plugin;

fn error(field: &str, message: &str) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
}

/// Every problem with `config`, not just the first.
fn problems(config: &str) -> Vec<FieldError> {
    let Ok(value) = serde_json::from_str::<Value>(config) else {
        return vec![error("", "must be valid JSON")];
    };
    let Some(obj) = value.as_object() else {
        return vec![error("", "must be an object")];
    };
    let mut errors: Vec<FieldError> = obj
        .keys()
        .filter(|k| !FIELDS.contains(&k.as_str()))
        .map(|k| error(k, "unknown field"))
        .collect();
    match obj.get("message").map(|m| m.as_str().map(|s| s.trim().chars().count())) {
        None => errors.push(error("message", "is required")),
        Some(Some(1..=200)) => {}
        Some(_) => errors.push(error("message", "must be a text of 1 to 200 characters")),
    }
    errors
}

impl Guest for Plugin {
    fn info() -> PluginInfo {
        PluginInfo {
            job_type: JOB_TYPE.into(),
            version: "0.1.0".into(),
            description: "A new sgsched job type.".into(),
            config_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "required": ["message"],
                "properties": {"message": {"type": "string", "minLength": 1, "maxLength": 200}},
            })
            .to_string(),
            example_config: json!({"message": "hello"}).to_string(),
        }
    }

    fn validate(config: String) -> Result<(), Vec<FieldError>> {
        let errors = problems(&config);
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    fn run(request: JobRequest) -> Result<JobOutcome, String> {
        if let Some(e) = problems(&request.config).first() {
            return Err(format!("invalid config: {}: {}", e.field, e.message));
        }
        let config: Value = serde_json::from_str(&request.config).map_err(|e| e.to_string())?;
        let payload = json!({"message": config["message"], "execution_id": request.execution_id});
        // The execution id as the idempotency key: a re-dispatched run finds its first job.
        let job = job_system::submit(JOB_TYPE, &payload.to_string(), &request.execution_id)?;
        job_system::log("info", &format!("submitted job {job}"));
        let status = job_system::wait(&job, 60_000)?;
        match status.state {
            JobState::Succeeded => Ok(JobOutcome {
                job_id: Some(job.clone()),
                summary: json!({"job_id": job, "state": "succeeded"}).to_string(),
            }),
            other => Err(format!("job {job} ended {other:?}: {}", status.error.unwrap_or_default())),
        }
    }
}

export!(Plugin);
