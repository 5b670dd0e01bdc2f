//! The Wasm plugin host: loads job-type components (built-in and from `--plugins-dir`) and calls
//! their `info`, `validate` and `run` exports in a sandbox. This module owns every wasmtime
//! type; nothing outside it sees one.

mod bindings;
mod cache;
mod call;
mod engine;
mod guest_log;
mod limits;
mod loader;
mod reload;
mod state;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::jobsystem::JobSystem;
pub use limits::{Limits, PluginLimits};
pub use loader::{CONTRACT_VERSION, Refused};
pub use reload::ReloadReport;

/// Limits and locations for the plugin host.
#[derive(Debug, Clone)]
pub struct PluginHostConfig {
    /// Where compiled components are cached (`<data-dir>/cache/plugins`); `None` disables it.
    pub cache_dir: Option<PathBuf>,
    /// Extra plugins: every `*.wasm` in this directory.
    pub plugins_dir: Option<PathBuf>,
    /// Linear memory a single instance may use.
    pub memory_limit_bytes: usize,
    pub validate_timeout: Duration,
    pub run_timeout: Duration,
    /// Instances that may exist at once; callers beyond it wait.
    pub max_instances: u32,
    /// Limits of one job type's calls that differ from the ones above.
    pub plugin_limits: std::collections::BTreeMap<String, PluginLimits>,
    /// Whether a plugins-dir file may replace a built-in job type (otherwise it is refused).
    pub replace_builtins: bool,
}

impl Default for PluginHostConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            plugins_dir: None,
            memory_limit_bytes: 64 << 20,
            validate_timeout: Duration::from_secs(2),
            run_timeout: Duration::from_secs(600),
            max_instances: 256,
            plugin_limits: Default::default(),
            replace_builtins: false,
        }
    }
}

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginOrigin {
    BuiltIn,
    File(PathBuf),
}

impl std::fmt::Display for PluginOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginOrigin::BuiltIn => f.write_str("built-in"),
            PluginOrigin::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

/// What a plugin says about itself (its `info` export), with JSON already parsed.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    pub job_type: String,
    /// The plugin's own version, as its `info` says.
    pub version: String,
    /// The contract (`wit/scheduler.wit`) version it was built against.
    pub contract_version: String,
    pub description: String,
    pub config_schema: Value,
    pub example_config: Value,
    pub origin: PluginOrigin,
}

/// One problem in a job configuration, as the plugin reported it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// One execution handed to a plugin's `run`.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub execution_id: String,
    pub schedule_id: String,
    pub user_id: String,
    pub job_type: String,
    pub config: Value,
    pub scheduled_for: String,
    pub attempt: u32,
    pub is_manual: bool,
    pub episode: Option<u32>,
}

/// What a successful `run` produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub job_id: Option<String>,
    pub summary: Value,
}

/// Why a plugin call did not produce an answer. `Rejected` (the plugin's own `Err`) is a normal
/// outcome of `run`; the others mean the guest misbehaved or the host could not call it.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("unknown job type {0:?}")]
    UnknownJobType(String),
    #[error("plugin {plugin} exceeded its time limit of {limit:?}")]
    TimeLimit { plugin: String, limit: Duration },
    #[error("plugin {plugin} exceeded its memory limit of {limit_mib} MiB")]
    MemoryLimit { plugin: String, limit_mib: usize },
    #[error("plugin {plugin} trapped: {message}")]
    Trap { plugin: String, message: String },
    #[error("plugin {plugin} returned invalid JSON in {what}: {message}")]
    BadOutput {
        plugin: String,
        what: &'static str,
        message: String,
    },
    #[error("plugin {plugin} failed: {message}")]
    Rejected { plugin: String, message: String },
}

/// The loaded plugins and the engine that runs them. Cheap to clone.
#[derive(Clone)]
pub struct PluginHost {
    inner: Arc<loader::Loaded>,
}

impl PluginHost {
    /// Load the built-in plugins and every `*.wasm` of `config.plugins_dir`. Files that cannot
    /// be used are refused (see [`PluginHost::refused`]), never fatal.
    pub async fn load(
        config: PluginHostConfig,
        jobs: Arc<dyn JobSystem>,
    ) -> Result<Self, PluginHostError> {
        let loaded = loader::load(config, jobs).await?;
        Ok(Self {
            inner: Arc::new(loaded),
        })
    }

    /// Every plugin in force, by job type.
    pub fn plugins(&self) -> Vec<PluginInfo> {
        let set = self.inner.current();
        set.plugins.values().map(|p| p.info.clone()).collect()
    }

    pub fn info(&self, job_type: &str) -> Option<PluginInfo> {
        let set = self.inner.current();
        set.plugins.get(job_type).map(|p| p.info.clone())
    }

    pub fn job_types(&self) -> Vec<String> {
        self.inner.current().plugins.keys().cloned().collect()
    }

    /// Files of the plugins dir that are not loaded (or not at their latest), with the reason.
    pub fn refused(&self) -> Vec<Refused> {
        self.inner.current().refused.clone()
    }

    /// Rescan the plugins dir: changed and added files are compiled (off the request path),
    /// removed ones withdrawn; runs already started finish on the version they started with.
    pub async fn reload(&self) -> Result<ReloadReport, PluginHostError> {
        self.inner.reload().await
    }

    /// Whether a file of the plugins dir changed since the plugins in force were loaded.
    pub fn plugins_dir_changed(&self) -> bool {
        self.inner.dir_changed()
    }

    /// Ask the job type's plugin whether `config` is valid: `Ok(Ok(()))` when it is,
    /// `Ok(Err(errors))` with every field error when not.
    pub async fn validate(
        &self,
        job_type: &str,
        config: &Value,
    ) -> Result<Result<(), Vec<FieldError>>, PluginError> {
        let plugin = self.plugin(job_type)?;
        let t = std::time::Instant::now();
        let out = self.inner.validate(&plugin, config).await;
        crate::metrics::plugin_call(job_type, "validate", t.elapsed().as_secs_f64());
        out
    }

    /// Job records the execution's run left to be committed with its outcome
    /// (`JobSystem::take_deferred`).
    pub fn take_deferred_jobs(&self, execution_id: &str) -> Vec<crate::model::LocalJobRecord> {
        self.inner.jobs.take_deferred(execution_id)
    }

    /// Run one execution through the job type's plugin.
    pub async fn run(&self, request: RunRequest) -> Result<RunOutcome, PluginError> {
        let plugin = self.plugin(&request.job_type)?;
        let job_type = request.job_type.clone();
        let t = std::time::Instant::now();
        let out = self.inner.run(&plugin, request).await;
        crate::metrics::plugin_call(&job_type, "run", t.elapsed().as_secs_f64());
        out
    }

    /// The job type's plugin in force now, kept by the caller for the whole call.
    fn plugin(&self, job_type: &str) -> Result<Arc<loader::Plugin>, PluginError> {
        self.inner
            .current()
            .plugins
            .get(job_type)
            .cloned()
            .ok_or_else(|| PluginError::UnknownJobType(job_type.to_string()))
    }
}

/// Failures that stop the host from starting at all (a broken built-in, an unusable engine).
#[derive(Debug, thiserror::Error)]
pub enum PluginHostError {
    #[error("wasm engine: {0}")]
    Engine(String),
    #[error("built-in plugin {name}: {message}")]
    BuiltIn { name: String, message: String },
    /// `[plugin_limits.*]` names a job type no plugin has, or a value out of range.
    #[error("{}", .0.join("; "))]
    Limits(Vec<String>),
    #[error("plugins dir {path}: {source}")]
    PluginsDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The embedded component of a built-in plugin, by name (its job type).
pub fn builtin_component(name: &str) -> Option<&'static [u8]> {
    loader::BUILTIN_PLUGINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
}
