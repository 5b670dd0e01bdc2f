//! A job type built against contract 1.0.0 (see build.rs): a host that speaks 0.1 must refuse it
//! naming both versions, rather than fail to link it with a generic message.

wit_bindgen::generate!({ path: "wit-1.0", world: "job-plugin" });

use exports::story_genius::scheduler::job_runner::{FieldError, Guest, JobOutcome, JobRequest, PluginInfo};

struct Future;

impl Guest for Future {
    fn info() -> PluginInfo {
        PluginInfo {
            job_type: "from_the_future".into(),
            version: "2.0.0".into(),
            description: "Built against a contract this host does not speak.".into(),
            config_schema: r#"{"type":"object"}"#.into(),
            example_config: "{}".into(),
        }
    }

    fn validate(_config: String) -> Result<(), Vec<FieldError>> {
        Ok(())
    }

    fn run(_request: JobRequest) -> Result<JobOutcome, String> {
        Err("never run".into())
    }
}

export!(Future);
