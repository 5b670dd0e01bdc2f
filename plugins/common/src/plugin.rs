//! What a job-type plugin is, independent of the WIT bindings: a [`JobPlugin`] says what its
//! config looks like and how it runs; [`info`], [`validate`] and [`run`] are the three WIT
//! exports on top of it, and [`export_job_plugin!`](crate::export_job_plugin) wires them to
//! the bindings a plugin crate generates.

use serde_json::Value;

use crate::run::{JobSystem, Outcome, Request, run_single};
use crate::summary::to_json;
use crate::validator::{FieldError, Validator};

/// A job type: its config schema, its checks, and how an execution becomes job-system work.
pub trait JobPlugin {
    /// The job type (`[a-z][a-z0-9_]*`).
    const JOB_TYPE: &'static str;
    /// The plugin's version (semver).
    const VERSION: &'static str;
    /// One sentence for humans.
    const DESCRIPTION: &'static str;

    /// JSON Schema (draft 2020-12) of the config; must agree with [`Self::check`].
    fn schema() -> Value;

    /// A config that [`Self::check`] accepts.
    fn example() -> Value;

    /// Checks a config found at `path` (`""` at top level, `items[2].config` inside a batch),
    /// reporting every error to `v`.
    fn check(v: &mut Validator, config: &Value, path: &str);

    /// Carries out an execution whose config passed [`Self::check`]. By default: one job of
    /// this job type with the config as its payload.
    fn run(js: &dyn JobSystem, request: &Request, config: &Value) -> Result<Outcome, String> {
        run_single(js, request, Self::JOB_TYPE, config)
    }
}

/// The WIT `plugin-info`, as plain Rust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub job_type: String,
    pub version: String,
    pub description: String,
    pub config_schema: String,
    pub example_config: String,
}

pub fn info<P: JobPlugin>() -> Info {
    Info {
        job_type: P::JOB_TYPE.into(),
        version: P::VERSION.into(),
        description: P::DESCRIPTION.into(),
        config_schema: to_json(&P::schema()),
        example_config: to_json(&P::example()),
    }
}

/// Parses and checks a config; on success returns it parsed.
pub fn validate<P: JobPlugin>(config: &str) -> Result<Value, Vec<FieldError>> {
    let value: Value = serde_json::from_str(config).map_err(|e| {
        vec![FieldError {
            field: String::new(),
            message: format!("not valid JSON: {e}"),
        }]
    })?;
    let mut v = Validator::new();
    P::check(&mut v, &value, "");
    v.into_result().map(|()| value)
}

/// Re-validates the request's config (it may predate a stricter plugin) and runs it.
pub fn run<P: JobPlugin>(js: &dyn JobSystem, request: &Request) -> Result<Outcome, String> {
    let config = validate::<P>(&request.config).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("invalid config: {}", list.join("; "))
    })?;
    P::run(js, request, &config)
}

/// Implements the generated `job-runner` `Guest` trait for a [`JobPlugin`] type and exports
/// it. Invoke it at the crate root, after `wit_bindgen::generate!({ path: "../../wit", world:
/// "job-plugin" })`, with the plugin type in scope:
///
/// ```ignore
/// wit_bindgen::generate!({ path: "../../wit", world: "job-plugin" });
/// use config::VideoGeneration;
/// plugin_common::export_job_plugin!(VideoGeneration);
/// ```
///
/// A macro because the binding types are generated inside each plugin crate; it only converts
/// between them and this crate's plain types.
#[macro_export]
macro_rules! export_job_plugin {
    ($plugin:ident) => {
        /// The host's `job-system` imports behind the shared run logic's trait.
        struct HostJobSystem;

        impl $crate::run::JobSystem for HostJobSystem {
            fn submit(
                &self,
                job_type: &str,
                payload: &str,
                idempotency_key: &str,
            ) -> ::std::result::Result<String, String> {
                story_genius::scheduler::job_system::submit(job_type, payload, idempotency_key)
            }

            fn wait(
                &self,
                job_id: &str,
                timeout_ms: u32,
            ) -> ::std::result::Result<$crate::run::JobStatus, String> {
                use story_genius::scheduler::job_system::JobState as Wit;
                use $crate::run::JobState;
                let status = story_genius::scheduler::job_system::wait(job_id, timeout_ms)?;
                Ok($crate::run::JobStatus {
                    state: match status.state {
                        Wit::Queued => JobState::Queued,
                        Wit::Running => JobState::Running,
                        Wit::Succeeded => JobState::Succeeded,
                        Wit::Failed => JobState::Failed,
                        Wit::Cancelled => JobState::Cancelled,
                    },
                    result: status.result,
                    error: status.error,
                })
            }

            fn log(&self, level: &str, message: &str) {
                story_genius::scheduler::job_system::log(level, message)
            }
        }

        impl exports::story_genius::scheduler::job_runner::Guest for $plugin {
            fn info() -> story_genius::scheduler::types::PluginInfo {
                let info = $crate::plugin::info::<$plugin>();
                story_genius::scheduler::types::PluginInfo {
                    job_type: info.job_type,
                    version: info.version,
                    description: info.description,
                    config_schema: info.config_schema,
                    example_config: info.example_config,
                }
            }

            fn validate(
                config: String,
            ) -> ::std::result::Result<(), Vec<story_genius::scheduler::types::FieldError>> {
                $crate::plugin::validate::<$plugin>(&config)
                    .map(|_| ())
                    .map_err(|errors| {
                        errors
                            .into_iter()
                            .map(|e| story_genius::scheduler::types::FieldError {
                                field: e.field,
                                message: e.message,
                            })
                            .collect()
                    })
            }

            fn run(
                request: story_genius::scheduler::types::JobRequest,
            ) -> ::std::result::Result<story_genius::scheduler::types::JobOutcome, String> {
                let request = $crate::run::Request {
                    execution_id: request.execution_id,
                    schedule_id: request.schedule_id,
                    user_id: request.user_id,
                    job_type: request.job_type,
                    config: request.config,
                    scheduled_for: request.scheduled_for,
                    attempt: request.attempt,
                    is_manual: request.is_manual,
                    episode: request.episode,
                };
                $crate::plugin::run::<$plugin>(&HostJobSystem, &request).map(|outcome| {
                    story_genius::scheduler::types::JobOutcome {
                        job_id: outcome.job_id,
                        summary: outcome.summary,
                    }
                })
            }
        }

        export!($plugin);
    };
}
